// Resource hygiene: close() releases every connection, timer and listener the
// cache opened (a process that used caches exits by itself, with nothing left
// open), leaves the application's own client alone, and many create/use/close
// cycles do not grow the heap.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { availableAdapters, loadAdapter } from '../src/adapters.mjs'
import { backplaneTimings } from '../src/settings.mjs'

const adapters = await availableAdapters()
const child = fileURLToPath(new URL('../src/hygiene-child.mjs', import.meta.url))
let server: RedisTestServer

beforeAll(async () => {
  server = await startRedis({ strategy: 'process' })
})

afterAll(async () => {
  await server?.stop()
})

/** Runs the child; resolves its report and how long it took to exit after reporting. */
function runChild(adapter: string, warmup: number, cycles: number) {
  return new Promise<{
    code: number | null
    signal: string | null
    exitAfterReport: number
    report: {
      heapAfterWarmup: number
      heapAtHalf: number
      heapAtEnd: number
      created: number
      retained: number
      cycles: number
      resources: string[]
    }
    stderr: string
  }>((resolve, reject) => {
    const process_ = spawn(
      process.execPath,
      [
        '--expose-gc',
        child,
        adapter,
        server.host,
        String(server.port),
        String(warmup),
        String(cycles),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    let reportedAt = 0
    process_.stdout.on('data', (chunk) => {
      stdout += chunk
      if (reportedAt === 0 && stdout.includes('\n')) reportedAt = Date.now()
    })
    process_.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    // The bound on the whole run; the exit itself is timed below.
    const deadline = setTimeout(() => {
      process_.kill('SIGKILL')
      reject(new Error(`the hygiene child did not exit within 60 s: ${stdout} ${stderr}`))
    }, 60_000)
    process_.on('exit', (code, signal) => {
      clearTimeout(deadline)
      try {
        resolve({
          code,
          signal,
          exitAfterReport: Date.now() - reportedAt,
          report: JSON.parse(stdout.split('\n')[0] ?? ''),
          stderr,
        })
      } catch (error) {
        reject(new Error(`no report from the hygiene child: ${stdout} ${stderr}`, { cause: error }))
      }
    })
  })
}

/** Connections the server holds, apart from the one asking. */
async function connections(): Promise<number> {
  const list = String(await server.command(['CLIENT', 'LIST']))
  return list.trim().split('\n').length - 1
}

describe.each(adapters)('on %s', (adapter) => {
  it('a process that used and closed caches exits by itself with nothing open; the heap stays flat', async () => {
    const cycles = 300
    const result = await runChild(adapter, 50, cycles)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.report.resources, 'handles still open after closing everything').toEqual([])
    expect(result.exitAfterReport, 'ms from the last report to exit').toBeLessThan(2_000)
    // Every cache and client of every cycle was collected.
    expect(result.report.created).toBe(3 * (50 + cycles))
    expect(result.report.retained, 'caches and clients still reachable').toBe(0)
    // A cache or client left behind per cycle would hold tens of KB (an LRU of 1,000 slots
    // alone); between the two halves, only V8's compiled code may still grow a little.
    const growthPerCycle = (result.report.heapAtEnd - result.report.heapAtHalf) / (cycles / 2)
    expect(growthPerCycle, 'heap growth per create/use/close cycle, bytes').toBeLessThan(2_048)
  })

  it("close() releases the backplane's connection and leaves the application's client open", async () => {
    const loaded = await loadAdapter(adapter)
    const client = await loaded.connect({
      kind: 'standalone',
      host: server.host,
      port: server.port,
    })
    try {
      await client.ping?.()
      const baseline = await connections()
      const cache = createCache({
        name: `hygiene-${adapter}`,
        handles: [memoryHandle(), loaded.handle(client)],
        backplane: loaded.backplane(client),
        backplaneOptions: backplaneTimings,
      })
      await cache.ready()
      await cache.set('k', 'v')
      expect(await connections()).toBe(baseline + 1)
      await cache.close()
      await pollUntil(async () => (await connections()) === baseline, {
        timeout: 5_000,
        description: "the backplane's subscriber connection to close",
      })
      // The application's client still works: the cache never quits it.
      expect(await loaded.handle(client).capabilities.distributed).toBe(true)
      const again = createCache({
        name: `hygiene-${adapter}-2`,
        handles: [memoryHandle(), loaded.handle(client)],
      })
      await again.set('k', 'still connected')
      expect(await again.get('k')).toBe('still connected')
      await again.close()
    } finally {
      await loaded.quit(client)
    }
  })
})
