// Data nobody trustworthy wrote: frames published straight onto a cache's
// channel by a foreign client (valid header, hostile content), and L2 records
// written straight into the Redis key a handle reads. Each is dropped or read
// as plain data, with a typed error where it is refused; nothing is polluted,
// and the instance keeps serving.
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { type Cache, CacheplaneError, jsonSerializer } from '@cacheplane/core'
import { invalidProtocolFixtures } from '@cacheplane/core/protocol-fixtures'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { availableAdapters } from '../src/adapters.mjs'
import {
  array,
  arrayHead,
  changed,
  cleared,
  frame,
  regionCleared,
  removed,
  tagsInvalidated,
  text,
  uint,
} from './support/frames.js'
import { instances } from './support/instances.js'

const adapters = await availableAdapters()
let server: RedisTestServer
let fleet: ReturnType<typeof instances>
let raw: Redis
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()

beforeAll(async () => {
  server = await startRedis({ strategy: 'process' })
  fleet = instances(server)
  raw = new Redis(server.url)
  raw.on('error', () => {})
})

afterAll(async () => {
  await fleet?.closeAll()
  raw?.disconnect()
  await server?.stop()
})

function expectNothingPolluted() {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore)
}

async function pair<T>(name: string, options: Record<string, unknown> = {}) {
  const writer = await fleet.create<T>(adapters[0]!, { name, ...options })
  const reader = await fleet.create<T>(adapters[1 % adapters.length]!, { name, ...options })
  await Promise.all([writer.ready(), reader.ready()])
  return { writer, reader }
}

/** Resolves once the reader has applied a frame published after everything before it. */
async function throughMarker(reader: Cache<unknown>, channel: string, cacheName: string) {
  const key = `marker:${Math.random()}`
  const seen = new Promise<void>((resolve) => {
    const listener = (event: { key: string; origin: string }) => {
      if (event.key !== key || event.origin !== 'remote') return
      reader.off('entrySet', listener)
      resolve()
    }
    reader.on('entrySet', listener)
  })
  await raw.publish(
    channel,
    frame({
      senderId: `marker-${key}`,
      sequence: 1,
      cacheName,
      operations: array([changed(null, [key])]),
    }),
  )
  await seen
}

it('hostile frames are applied as plain invalidations or dropped with E_BACKPLANE_DECODE', async () => {
  const cacheName = 'hostile-frames'
  const channel = `cacheplane:${cacheName}:v1`
  const { writer, reader } = await pair<string>(cacheName)
  const errors: unknown[] = []
  reader.on('error', (error) => errors.push(error))
  await writer.set('k', 'v1')
  expect(await reader.get('k')).toBe('v1')

  const intruder = { senderId: 'intruder', cacheName }
  // Valid frames: keys and regions named after Object.prototype's members, and a clear.
  const prototypeNames = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']
  const accepted = [
    frame({
      ...intruder,
      sequence: 1,
      operations: array([
        changed(null, prototypeNames),
        changed('__proto__', prototypeNames),
        removed('constructor', ['__proto__']),
        regionCleared(prototypeNames),
        tagsInvalidated(prototypeNames),
        cleared,
      ]),
    }),
  ]
  const rejected = [
    // More keys than maxKeys (100,000).
    frame({
      ...intruder,
      sequence: 2,
      operations: array([changed(null, Array(100_001).fill('k'))]),
    }),
    // Declares 2^32 - 1 operations and holds none.
    Buffer.concat([
      Buffer.from([0x43, 0x50, 0x01, 0x00]),
      arrayHead(5),
      text('intruder'),
      uint(1),
      uint(3),
      text(cacheName),
      arrayHead(0xffff_ffff),
    ]),
    // A sequence number past 2^53 - 1.
    frame({ ...intruder, sequence: 2 ** 53, operations: array([]) }),
    // A sender id of 257 bytes.
    frame({ ...intruder, senderId: 'x'.repeat(257), sequence: 1, operations: array([]) }),
    // Another cache's frame on this channel.
    frame({ ...intruder, cacheName: 'someone-else', sequence: 4, operations: array([cleared]) }),
    // One byte over maxIncomingFrameBytes (1 MiB), header and all.
    Buffer.concat([Buffer.from([0x43, 0x50, 0x01, 0x00]), Buffer.alloc(1_048_573, 0x80)]),
    // Every invalid golden frame of the protocol.
    ...invalidProtocolFixtures.map((fixture) => Buffer.from(fixture.bytes)),
  ]
  // 100,000 nested arrays inside an operation a 1.1 receiver skips: well-formed, but deep.
  const deep = frame(
    {
      ...intruder,
      sequence: 9,
      operations: array([
        Buffer.concat([arrayHead(2), uint(99), Buffer.alloc(100_000, 0x81), uint(0)]),
      ]),
    },
    1,
  )
  const decodeErrorsBefore = reader.stats().backplane!.decodeErrors
  for (const bytes of [...accepted, ...rejected]) await raw.publish(channel, bytes)
  await throughMarker(reader as Cache<unknown>, channel, cacheName)
  expect(reader.stats().backplane!.decodeErrors - decodeErrorsBefore).toBe(rejected.length)
  await raw.publish(channel, deep)
  await throughMarker(reader as Cache<unknown>, channel, cacheName)
  const deepRejected = reader.stats().backplane!.decodeErrors - decodeErrorsBefore - rejected.length
  expect([0, 1]).toContain(deepRejected)

  // A flood of senders, each new and each past its first frame: bounded memory, L1 marked stale.
  const flood = raw.pipeline()
  for (let index = 0; index < 2_000; index++) {
    flood.publish(
      channel,
      frame({
        ...intruder,
        senderId: `flood-${index}`,
        sequence: 7,
        operations: array([array([uint(7)])]),
      }),
    )
  }
  await flood.exec()
  await throughMarker(reader as Cache<unknown>, channel, cacheName)
  expect(reader.stats().backplane!.knownSenders).toBeLessThanOrEqual(10_000)

  expect(errors.length).toBe(rejected.length + deepRejected)
  for (const error of errors)
    expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_DECODE')).toBe(true)
  expectNothingPolluted()
  // Still serving, and still hearing the real writer.
  await writer.set('k', 'v2')
  await pollUntil(async () => (await reader.get('k')) === 'v2', {
    timeout: 5_000,
    description: 'the reader to see the writer again',
  })
  expect(reader.stats().backplane!.state).toBe('up')
})

/** FNV-1a, 32 bits, of the key's UTF-8 bytes: the bucket of redis-shared/README.md. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash % 256
}

/** Where an entry without a region lives, per the documented key layout. */
const entryKey = (cacheName: string, key: string) =>
  `cacheplane:{${cacheName}.${bucketOf(key)}}:_:${key}`

/** Splits a stored format 1 record into its header (tags included) and value. */
function splitRecord(record: Buffer): { header: Buffer; value: Buffer } {
  const nameLength = record.readUInt8(58)
  let offset = 59 + nameLength
  const tags = record.readUInt16BE(offset)
  offset += 2
  for (let tag = 0; tag < tags; tag++) offset += 2 + record.readUInt16BE(offset)
  return { header: record.subarray(0, offset), value: record.subarray(offset) }
}

function withVersion(record: { header: Buffer; value: Buffer }, version: number): Buffer {
  const bytes = Buffer.concat([record.header, record.value])
  bytes.writeDoubleBE(version, 2)
  return bytes
}

const hex = (value: string) => Buffer.from(value.replaceAll(' ', ''), 'hex')
const cborText = (value: string) =>
  Buffer.concat([Buffer.from([0x60 + value.length]), Buffer.from(value)])

it('L2 records crafted to pollute prototypes are read as plain data or refused with a typed error', async () => {
  const cacheName = 'hostile-records'
  const { writer, reader } = await pair<Record<string, unknown>>(cacheName)
  await writer.set('victim', { ok: 1 })
  const key = entryKey(cacheName, 'victim')
  const legit = await raw.getBuffer(key)
  expect(legit, `the documented key layout names ${key}`).not.toBeNull()
  const { header } = splitRecord(legit!)
  const ttl = await raw.pttl(key)

  const hostileValues = {
    // {"__proto__": {"polluted": true}}
    proto: Buffer.concat([
      hex('a1'),
      cborText('__proto__'),
      hex('a1'),
      cborText('polluted'),
      hex('f5'),
    ]),
    // {"constructor": {"prototype": {"polluted": true}}}
    constructorPrototype: Buffer.concat([
      hex('a1'),
      cborText('constructor'),
      hex('a1'),
      cborText('prototype'),
      hex('a1'),
      cborText('polluted'),
      hex('f5'),
    ]),
    // cbor-x's record extension (tag 105), defining a structure whose field is __proto__.
    recordTag: Buffer.concat([
      hex('d8 69 82 81'),
      cborText('__proto__'),
      hex('a1'),
      cborText('polluted'),
      hex('f5'),
    ]),
  }
  for (const [name, value] of Object.entries(hostileValues)) {
    await raw.set(key, Buffer.concat([header, value]), 'PX', ttl)
    const read = await reader.get('victim').then(
      (found) => ({ found }),
      (error: unknown) => ({ error }),
    )
    if ('error' in read) {
      expect(CacheplaneError.hasCode(read.error, 'E_SERIALIZATION'), name).toBe(true)
    } else if (typeof read.found === 'object' && read.found !== null) {
      const prototype = Object.getPrototypeOf(read.found)
      expect(prototype === Object.prototype || prototype === null, name).toBe(true)
      expect(read.found.polluted, name).toBeUndefined()
    }
    expectNothingPolluted()
    // The next read must not be served from an L1 copy of this one.
    await writer.delete('victim')
    await writer.set('victim', { ok: 1 })
  }

  // Records that break the format itself: refused, typed.
  const current = splitRecord((await raw.getBuffer(key))!)
  const broken = {
    foreignFormat: Buffer.concat([Buffer.from([2]), current.header.subarray(1), current.value]),
    otherSerializer: Buffer.concat([
      current.header.subarray(0, 58),
      Buffer.from([4]),
      Buffer.from('json'),
      hex('0000'),
      current.value,
    ]),
    truncated: current.header.subarray(0, 20),
    tagCountPastTheEnd: Buffer.concat([current.header.subarray(0, 63), hex('ffff')]),
    versionNaN: withVersion(current, Number.NaN),
    versionInfinite: withVersion(current, Number.POSITIVE_INFINITY),
  }
  for (const [name, record] of Object.entries(broken)) {
    await raw.set(key, record, 'PX', ttl)
    const error = await reader.get('victim').then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(CacheplaneError.isInstance(error), `${name}: a typed error`).toBe(true)
    expect((error as CacheplaneError).code, name).toMatch(/^E_(SERIALIZATION|L2_UNAVAILABLE)$/)
    expectNothingPolluted()
  }
  // A record with an invalid version cannot be overwritten (see the test below): clear it by hand.
  await raw.del(key)

  // Still serving once a real write replaces the wreck.
  await writer.set('victim', { ok: 2 })
  await pollUntil(async () => (await reader.get('victim'))?.ok === 2, {
    timeout: 5_000,
    description: 'the reader to read the rewritten entry',
  })
})

it('a JSON cache reads a stored "__proto__" as nothing but data', async () => {
  const cacheName = 'hostile-json'
  const { writer, reader } = await pair<Record<string, unknown>>(cacheName, {
    serializer: jsonSerializer(),
  })
  await writer.set('victim', { ok: 1 })
  const key = entryKey(cacheName, 'victim')
  const { header } = splitRecord((await raw.getBuffer(key))!)
  const json =
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"ok":3}'
  await raw.set(key, Buffer.concat([header, Buffer.from(json)]), 'PX', await raw.pttl(key))
  const value = await reader.get('victim')
  expect(value?.ok).toBe(3)
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  expect(value?.polluted).toBeUndefined()
  expectNothingPolluted()
})

// Found by this suite: a record whose version is NaN or Infinity used to make
// every later write store NaN too (the next version was the stored one + 1,
// unchecked). The scripts now treat such a record as foreign and replace it.
it('a write replaces a stored record whose version is not a number', async () => {
  const cacheName = 'poisoned-version'
  const { writer, reader } = await pair<Record<string, unknown>>(cacheName)
  await writer.set('victim', { ok: 1 })
  const key = entryKey(cacheName, 'victim')
  const stored = splitRecord((await raw.getBuffer(key))!)
  await raw.set(key, withVersion(stored, Number.NaN), 'PX', await raw.pttl(key))
  await writer.set('victim', { ok: 2 })
  expect(await reader.get('victim')).toEqual({ ok: 2 })
})
