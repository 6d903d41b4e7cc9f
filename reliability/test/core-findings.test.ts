// Two ways a read could outlive the staleness bound, found by the fault
// scenarios and reduced here to one process each (memory L1, shared memory L2,
// in-process backplane), so that they stay fixed.
import { pollUntil } from '@cacheplane/conformance/redis'
import { CacheplaneError, createCache } from '@cacheplane/core'
import { createMemoryBus, memoryHandle, memoryTransport } from '@cacheplane/memory'
import { afterEach, expect, it } from 'vitest'
import { backplaneTimings, faultBound } from '../src/settings.mjs'
import { controlledHandle } from './support/controlled-handle.js'

const caches: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()))
})

/** A writer and a reader of one cache; the reader sees the shared L2 through a controlled view. */
async function writerAndReader() {
  const bus = createMemoryBus()
  const shared = memoryHandle({ backplaneSource: true })
  const view = controlledHandle(shared)
  const readerTransport = memoryTransport({ bus })
  const writer = createCache<number>({
    name: 'findings',
    handles: [memoryHandle(), shared],
    backplane: memoryTransport({ bus }),
    backplaneOptions: backplaneTimings,
  })
  const reader = createCache<number>({
    name: 'findings',
    handles: [memoryHandle(), view.handle],
    backplane: readerTransport,
    backplaneOptions: backplaneTimings,
  })
  caches.push(writer, reader)
  await Promise.all([writer.ready(), reader.ready()])
  await writer.set('key', 1)
  expect(await reader.get('key')).toBe(1)
  // The reader loses its subscription and, after degradedTtl, stops trusting its L1.
  readerTransport.disconnect('test: subscription lost')
  await pollUntil(() => reader.peek('key') === undefined, {
    timeout: 5_000,
    description: 'the degraded reader to mark its L1 stale',
  })
  return { writer, reader, view }
}

// Cluster failover: the reader's get was batched with a get to the dead master,
// so the reply (read before a newer write) arrived seconds later, and was then
// kept as fresh for another degradedTtl, counted from its arrival.
it('a slow L2 reply read before a write is not served as fresh while degraded', async () => {
  const { writer, reader, view } = await writerAndReader()
  view.hold()
  const slowRead = reader.get('key')
  await writer.set('key', 2)
  const writtenAt = Date.now()
  // The reply takes longer than the whole fault bound to arrive.
  await new Promise((resolve) => setTimeout(resolve, faultBound + 200))
  view.release()
  expect(await slowRead).toBe(1) // it began before the write: fair
  const readAt = Date.now()
  expect(
    reader.peek('key'),
    `peek ${readAt - writtenAt} ms after the write returned the old value (bound ${faultBound} ms)`,
  ).not.toBe(1)
  expect(await reader.get('key')).toBe(2)
})

// Redis restart: while the L2 could not be reached (down, then the circuit
// breaker holding off), get fell back to the L1 value the backplane had marked
// stale, though the entry was written without grace, for as long as its ttl.
it('without grace, an L1 value marked stale is not served when the L2 fails', async () => {
  const { writer, reader, view } = await writerAndReader()
  await writer.set('key', 2)
  view.fail(true)
  const error = await reader.get('key').then(
    (value) => value,
    (reason: unknown) => reason,
  )
  expect(error, 'get returned the value the backplane marked stale').not.toBe(1)
  expect(CacheplaneError.hasCode(error, 'E_L2_UNAVAILABLE')).toBe(true)
  view.fail(false)
  expect(await reader.get('key')).toBe(2)
})
