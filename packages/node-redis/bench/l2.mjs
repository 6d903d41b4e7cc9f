#!/usr/bin/env node
// L2 hit, 50 gets in flight: cacheplane on node-redis and on ioredis against a
// raw GET on each client, in one run against one throwaway redis-server.
// Tasks are interleaved round by round, so that machine drift hits all alike;
// ratios are the median of per-round ratios (each pair ran back to back).
//
//   pnpm --filter @cacheplane/node-redis build && node packages/node-redis/bench/l2.mjs
//
// Options: --keys N (default 10000), --rounds N (default 9), --in-flight N (default 50).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createCache } from '@cacheplane/core'
import * as ioredisAdapter from '@cacheplane/ioredis'
import { memoryHandle } from '@cacheplane/memory'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import * as nodeRedisAdapter from '../dist/index.js'

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '9' },
    'in-flight': { type: 'string', default: '50' },
  },
})
const keyCount = Number(flags.keys)
const rounds = Number(flags.rounds)
const concurrency = Number(flags['in-flight'])

async function freePort() {
  const probe = createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function startRedisServer() {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'cacheplane-bench-'))
  const child = spawn(
    process.env.REDIS_SERVER ?? 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: dir, stdio: 'ignore' },
  )
  const stop = () => {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', stop)
  const deadline = Date.now() + 5_000
  for (;;) {
    const answered = await new Promise((resolve) => {
      const socket = new Socket()
      socket.once('error', () => resolve(false))
      socket.connect(port, '127.0.0.1', () => {
        socket.end()
        resolve(true)
      })
    })
    if (answered) break
    if (Date.now() > deadline) throw new Error('redis-server did not start')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { url: `redis://127.0.0.1:${port}`, stop }
}

/** Runs `operations` calls of `call(index)` with `concurrency` of them in flight. */
async function inFlight(operations, call) {
  let next = 0
  const worker = async () => {
    while (next < operations) await call(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, operations) }, worker))
}

function quantile(sorted, q) {
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low)
}

function product(index) {
  return {
    id: index,
    name: `Product ${index}`,
    price: 10 + (index % 90) + 0.99,
    tags: ['catalog', `brand:${index % 17}`],
    stock: index % 250,
  }
}

const server = await startRedisServer()
const io = new Redis(server.url)
io.on('error', () => {})
const node = createClient({ url: server.url })
node.on('error', () => {})
await node.connect()

const keys = Array.from({ length: keyCount }, (_, index) => `product:${index}`)
let misses = 0
const seen = (value) => {
  if (value === undefined || value === null) misses++
}
const readAll = (read) => (operations) =>
  inFlight(operations, async (index) => seen(await read(keys[index % keyCount])))

async function cacheOn(adapter, client, label, withL1) {
  const l1 = memoryHandle({ maxEntries: keyCount * 2 })
  const cache = createCache({
    name: `bench-${label}-${withL1 ? 'l1' : 'nol1'}`,
    handles: withL1 ? [l1, adapter.redisHandle({ client })] : [adapter.redisHandle({ client })],
  })
  for (let index = 0; index < keyCount; index++) await cache.set(keys[index], product(index))
  return { cache, l1 }
}

const tasks = []
for (const [label, client, adapter] of [
  ['node-redis', node, nodeRedisAdapter],
  ['ioredis', io, ioredisAdapter],
]) {
  for (let index = 0; index < keyCount; index++) {
    await client.set(`raw:${label}:${keys[index]}`, JSON.stringify(product(index)))
  }
  tasks.push({
    name: `raw ${label} GET`,
    client: label,
    run: readAll((key) => client.get(`raw:${label}:${key}`)),
  })
  for (const withL1 of [false, true]) {
    const { cache, l1 } = await cacheOn(adapter, client, label, withL1)
    tasks.push({
      name: withL1
        ? `cacheplane + ${label}, L1 emptied each round`
        : `cacheplane + ${label}, no L1`,
      client: label,
      cacheplane: true,
      beforeRound: withL1 ? () => l1.clear() : undefined,
      run: readAll((key) => cache.get(key)),
      close: () => cache.close(),
    })
  }
}

// Warm-up: one untimed pass each, so that scripts are loaded and the JIT has settled.
for (const task of tasks) {
  await task.beforeRound?.()
  await task.run(keyCount)
}
const samples = new Map(tasks.map((task) => [task.name, []]))
for (let round = 0; round < rounds; round++) {
  for (const task of tasks) {
    await task.beforeRound?.()
    const started = process.hrtime.bigint()
    await task.run(keyCount)
    samples.get(task.name).push(Number(process.hrtime.bigint() - started) / keyCount)
  }
}
for (const task of tasks) await task.close?.()
io.disconnect()
node.destroy()
server.stop()
if (misses > 0) throw new Error(`${misses} reads missed: not an L2 hit measure`)

const median = (name) =>
  quantile(
    [...samples.get(name)].sort((a, b) => a - b),
    0.5,
  )
const spread = (name) => {
  const sorted = [...samples.get(name)].sort((a, b) => a - b)
  return (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 / quantile(sorted, 0.5)
}
/** How many times faster `name` is than `baseline`: the median of per-round ratios. */
const ratio = (name, baseline) => {
  const ours = samples.get(name)
  const theirs = samples.get(baseline)
  return quantile(
    ours.map((ns, round) => theirs[round] / ns).sort((a, b) => a - b),
    0.5,
  )
}
const format = (value, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

const lines = [
  `L2 hit, ${concurrency} gets in flight, ${format(keyCount)} keys, ${rounds} interleaved rounds (Node ${process.version}, one throwaway redis-server on loopback).`,
  '',
  '| task | gets/s | µs/get | spread | vs raw GET, same client | vs raw ioredis GET | vs cacheplane + ioredis (same L1 setting) |',
  '|---|---|---|---|---|---|---|',
]
for (const task of tasks) {
  const name = task.name
  const twin = task.cacheplane ? name.replace(task.client, 'ioredis') : undefined
  lines.push(
    [
      '',
      task.cacheplane ? `**${name}**` : name,
      format(1e9 / median(name)),
      format(median(name) / 1000, 2),
      `±${format(spread(name) * 100)}%`,
      `${format(ratio(name, `raw ${task.client} GET`), 2)}x`,
      `${format(ratio(name, 'raw ioredis GET'), 2)}x`,
      twin === undefined ? '' : `${format(ratio(name, twin), 2)}x`,
      '',
    ]
      .join(' | ')
      .trim(),
  )
}
console.log(lines.join('\n'))
