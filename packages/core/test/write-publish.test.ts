import { createMemoryBus, memoryHandle, memoryTransport } from '@cacheplane/memory'
import { afterEach, describe, expect, it } from 'vitest'
import { createCache } from '../src/cache.js'
import type { Cache } from '../src/cache-types.js'
import type { CacheEntry } from '../src/entry.js'
import type { CacheHandle, WritePublication } from '../src/handle.js'
import { decodeFrame } from '../src/protocol/codec.js'
import type { BackplaneTransport } from '../src/transport.js'
import { controllableHandle, waitFor } from './support.js'

const caches: Cache<unknown>[] = []

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()))
})

/** The CBOR head of a small unsigned integer (versions in these tests stay below 65,536). */
function cborUnsigned(value: number): number[] {
  if (value < 24) return [value]
  if (value < 256) return [24, value]
  return [25, value >> 8, value & 0xff]
}

/**
 * An in-process source that can publish with its writes, as a Redis handle
 * does from its write script: the value is stored, then the message is
 * handed to the bus in the same call. `fail` makes the next calls reject,
 * before or after publishing.
 */
function publishingSource(shared: CacheHandle, transport: BackplaneTransport) {
  const calls: { key: string; version: number }[] = []
  const control = { fail: undefined as 'before' | 'after' | undefined, late: false, hang: false }
  const { handle: source } = controllableHandle(shared)
  source.setAndPublish = (
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    publication: WritePublication,
  ): Promise<number> => {
    if (control.fail === 'before') return Promise.reject(new Error('refused before the write'))
    // A write that never answers (and never published).
    if (control.hang) return new Promise<number>(() => undefined)
    const version = shared.set(key, region, entry) as number
    const message = new Uint8Array([...publication.frame, ...cborUnsigned(version)])
    calls.push({ key, version })
    if (control.late) {
      // As when Redis did not know the script yet: the client sends it again, later.
      return new Promise((resolve) =>
        setTimeout(() => {
          void transport.publish(message).catch(() => undefined)
          resolve(version)
        }, 20),
      )
    }
    void transport.publish(message).catch(() => undefined)
    if (control.fail === 'after') return Promise.reject(new Error('no answer after the write'))
    return Promise.resolve(version)
  }
  return { source, calls, control }
}

/** A writer whose source publishes with its writes, and a reader; one bus, one shared source. */
async function pair(options: { publishesWith?: boolean; heartbeatInterval?: number } = {}) {
  const bus = createMemoryBus()
  const shared = memoryHandle({ maxEntries: 10_000 })
  const writerTransport = memoryTransport({ bus })
  const { source, calls, control } = publishingSource(shared, writerTransport)
  const seenFrames: Uint8Array[] = []
  writerTransport.publishesWith = (handle) => (options.publishesWith ?? true) && handle === source
  const readerTransport = memoryTransport({ bus })
  const backplaneOptions = {
    heartbeatInterval: options.heartbeatInterval ?? 1_000,
    heartbeatTimeout: 5_000,
  }
  const writer = createCache({
    name: 'wp',
    handles: [memoryHandle(), source],
    backplane: writerTransport,
    backplaneOptions: { ...backplaneOptions, instanceId: 'writer' },
  })
  const reader = createCache({
    name: 'wp',
    handles: [memoryHandle(), shared],
    backplane: readerTransport,
    backplaneOptions: { ...backplaneOptions, instanceId: 'reader' },
  })
  caches.push(writer, reader)
  await Promise.all([writer.ready(), reader.ready()])
  return { writer, reader, calls, control, seenFrames }
}

describe('a source that publishes with its writes (setAndPublish)', () => {
  it('carries a lone set: the frame decodes to the changed key with the version stored', async () => {
    const { writer, reader, calls } = await pair()
    await writer.set('k', 'v1')
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 1, 'the frame')
    await reader.get('k')
    expect(reader.peek('k')).toBe('v1')
    await writer.set('k', 'v2')
    await waitFor(() => reader.peek('k') === undefined, 'the reader to drop v1')
    expect(await reader.get('k')).toBe('v2')
    expect(calls).toEqual([
      { key: 'k', version: 1 },
      { key: 'k', version: 2 },
    ])
    const stats = writer.stats().backplane!
    expect(stats.framesPublishedWithWrites).toBe(2)
    expect(stats.invalidationsPublished).toBe(2)
    expect(reader.stats().backplane!.gapsDetected).toBe(0)
  })

  it('is not used when the transport does not vouch for the source, nor for skipBackplane', async () => {
    const { writer, reader, calls } = await pair({ publishesWith: false })
    await writer.set('k', 'v1')
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 1, 'the frame')
    expect(calls).toEqual([])
    expect(writer.stats().backplane!.framesPublishedWithWrites).toBe(0)

    const other = await pair()
    await other.writer.set('quiet', 1, { skipBackplane: true })
    expect(other.calls).toEqual([])
  })

  it('keeps every frame in sequence when writes of all kinds overlap', async () => {
    const { writer, reader, calls } = await pair()
    await Promise.all(
      Array.from({ length: 300 }, (_, index) => {
        const key = `k${index % 25}`
        if (index % 7 === 3) return writer.delete(key)
        if (index % 11 === 5) return writer.setMany([{ key, value: index }])
        return writer.set(key, index)
      }),
    )
    await writer.set('last', 'done')
    await waitFor(async () => (await reader.get('last')) === 'done', 'the last write')
    expect(calls.length).toBeGreaterThan(0)
    const stats = reader.stats().backplane!
    expect(stats.gapsDetected).toBe(0)
    expect(stats.decodeErrors).toBe(0)
    for (let index = 0; index < 25; index++) {
      expect(await reader.get(`k${index}`)).toBe(await writer.get(`k${index}`))
    }
  })

  it('fills the sequence number of a write that failed before publishing, so that nobody counts a gap', async () => {
    const { writer, reader, control } = await pair()
    await writer.set('a', 1)
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 1, 'the first frame')
    control.fail = 'before'
    await expect(writer.set('a', 2)).rejects.toThrow(/refused before the write/)
    control.fail = undefined
    await writer.set('b', 3)
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 2, 'the next frame')
    expect(reader.stats().backplane!.gapsDetected).toBe(0)
    expect(writer.stats().backplane!.framesPublishedWithWrites).toBe(2)
  })

  it('a write that published but failed to answer: the heartbeat copy is ignored as late', async () => {
    const { writer, reader, control } = await pair()
    await writer.set('a', 1)
    await reader.get('a')
    control.fail = 'after'
    await expect(writer.set('a', 2)).rejects.toThrow(/no answer after the write/)
    control.fail = undefined
    await waitFor(() => reader.peek('a') === undefined, 'the reader to drop a')
    await writer.set('b', 3)
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 3, 'the next frame')
    expect(reader.stats().backplane!.gapsDetected).toBe(0)
  })

  it('holds frames queued meanwhile until a write whose message goes out late has settled', async () => {
    const { writer, reader, control } = await pair()
    await writer.set('a', 1)
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 1, 'the first frame')
    control.late = true
    const late = writer.set('a', 2)
    control.late = false
    await writer.delete('b')
    await late
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 3, 'both frames')
    expect(reader.stats().backplane!.gapsDetected).toBe(0)
  })

  it('does not let a write that never answers hold back other frames beyond a heartbeat interval', async () => {
    const { writer, reader, control } = await pair({ heartbeatInterval: 100 })
    await writer.set('a', 1)
    await waitFor(() => reader.stats().backplane!.invalidationsReceived === 1, 'the first frame')
    control.hang = true
    void writer.set('a', 2).catch(() => undefined)
    control.hang = false
    await writer.set('b', 3)
    await reader.get('c')
    await writer.delete('c')
    // The hung write's number never arrives: the reader counts a gap and drops its L1.
    await waitFor(() => reader.stats().backplane!.invalidationsReceived >= 3, 'the frames after it')
    expect(reader.stats().backplane!.gapsDetected).toBe(1)
  })

  it('decodes the message as the frame the engine would have sent', async () => {
    const bus = createMemoryBus()
    const listener = memoryTransport({ bus })
    const frames: Uint8Array[] = []
    await listener.connect('cacheplane:wp:v1', {
      onFrame: (frame) => frames.push(frame),
      onStatus: () => undefined,
    })
    const shared = memoryHandle()
    const transport = memoryTransport({ bus })
    const { source } = publishingSource(shared, transport)
    transport.publishesWith = (handle) => handle === source
    const writer = createCache({
      name: 'wp',
      handles: [source],
      backplane: transport,
      backplaneOptions: { instanceId: 'w', heartbeatInterval: 1_000 },
    })
    caches.push(writer)
    await writer.ready()
    for (let round = 0; round < 30; round++) await writer.set('k', round, { region: 'r' })
    await waitFor(() => frames.length >= 30, '30 frames')
    const decoded = frames.map((frame) => decodeFrame(frame))
    expect(decoded.map((frame) => frame.sequence)).toEqual(
      Array.from({ length: 30 }, (_, index) => index + 1),
    )
    expect(decoded[29]!.operations).toEqual([
      { kind: 'changed', region: 'r', keys: ['k'], versions: [30] },
    ])
  })
})
