import { afterEach, describe, expect, it } from 'vitest'
import { createFleet, type Fleet, fleetUp } from './support.js'

let fleet: Fleet<number> | undefined

afterEach(async () => {
  await fleet?.close()
  fleet = undefined
})

interface Write {
  key: string
  value: number
  completedAt: number
}

interface Read {
  key: string
  value: number | undefined
  startedAt: number
}

/**
 * How stale a read was: the time since the first write newer than what it
 * returned had completed, or 0 when nothing newer was complete when it began.
 */
function staleness(read: Read, writesByKey: Map<string, Write[]>): number {
  // A miss (peek found nothing in L1) serves no value at all, so nothing stale.
  if (read.value === undefined) return 0
  const writes = writesByKey.get(read.key) ?? []
  const newer = writes.find(
    (write) => write.value > (read.value as number) && write.completedAt <= read.startedAt,
  )
  return newer === undefined ? 0 : read.startedAt - newer.completedAt
}

describe('bounded staleness under chaos (5% drops, duplicates, reordering)', () => {
  it('no read returns a value older than degradedTtl + heartbeatTimeout', async () => {
    const heartbeatInterval = 20
    const heartbeatTimeout = 100
    const degradedTtl = 200
    const bound = degradedTtl + heartbeatTimeout
    fleet = createFleet<number>(3, {
      chaos: {
        dropRate: 0.05,
        duplicateRate: 0.05,
        reorderRate: 0.05,
        delay: { min: 0, max: 3 },
        seed: 7,
      },
      backplaneOptions: { heartbeatInterval, heartbeatTimeout, degradedTtl },
      defaults: { ttl: '1h' },
    })
    await fleetUp(fleet as Fleet<unknown>)
    const [writer, ...readers] = fleet.caches as [
      Fleet<number>['caches'][0],
      ...Fleet<number>['caches'],
    ]
    const keys = ['a', 'b', 'c', 'd']
    const writes = new Map<string, Write[]>(keys.map((key) => [key, []]))
    const reads: Read[] = []
    const runFor = 1_500
    const stopAt = Date.now() + runFor
    let writeCount = 0

    const writing = (async () => {
      while (Date.now() < stopAt) {
        const key = keys[writeCount % keys.length]!
        const value = writeCount++
        await writer.set(key, value)
        writes.get(key)!.push({ key, value, completedAt: Date.now() })
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    const reading = readers.map(async (reader, index) => {
      let round = 0
      while (Date.now() < stopAt) {
        const key = keys[(round++ + index) % keys.length]!
        const startedAt = Date.now()
        const value = round % 2 === 0 ? await reader.get(key) : reader.peek(key)
        reads.push({ key, value, startedAt })
        await new Promise((resolve) => setImmediate(resolve))
      }
    })
    await Promise.all([writing, ...reading])

    const worst = reads.reduce((most, read) => Math.max(most, staleness(read, writes)), 0)
    const staleReads = reads.filter((read) => staleness(read, writes) > bound)
    const busStats = fleet.bus.stats()
    expect(busStats.framesDropped, 'the chaos transport really dropped frames').toBeGreaterThan(0)
    expect(reads.length).toBeGreaterThan(1_000)
    expect(writeCount).toBeGreaterThan(100)
    expect(
      staleReads.length,
      `${staleReads.length} of ${reads.length} reads were staler than ${bound}ms (worst ${worst}ms)`,
    ).toBe(0)

    // After the writes stop, every reader converges on the last value of every key.
    for (const reader of readers) {
      for (const key of keys) {
        const last = writes.get(key)!.at(-1)!.value
        const deadline = Date.now() + bound + 500
        let value = await reader.get(key)
        while (value !== last && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10))
          value = await reader.get(key)
        }
        expect(value, `reader converged on ${key}`).toBe(last)
      }
    }
  })
})
