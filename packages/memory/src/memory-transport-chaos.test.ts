import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { numbered, numberOf, recorder } from '../test/recorder.js'
import type { ChaosOptions } from './chaos.js'
import { createMemoryBus } from './memory-bus.js'
import { memoryTransport } from './memory-transport.js'

const channel = 'cacheplane:products:v1'
const FRAMES = 5_000

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/**
 * Publishes `count` numbered frames from a clean transport to one with
 * `chaos`, lets every timer run, and returns the numbers in arrival order.
 */
async function run(chaos: ChaosOptions, count = FRAMES) {
  const bus = createMemoryBus()
  const sender = memoryTransport({ bus })
  const receiver = memoryTransport({ bus, chaos })
  const heard = recorder()
  await sender.connect(channel, recorder().listener)
  await receiver.connect(channel, heard.listener)
  for (let number = 0; number < count; number++) await sender.publish(numbered(number))
  await vi.runAllTimersAsync()
  await sender.close()
  await receiver.close()
  return { arrived: heard.frames.map(numberOf), stats: bus.stats() }
}

/** Frames that arrived after a frame published later than them. */
function lateFrames(arrived: readonly number[]): number {
  let highest = -1
  let late = 0
  for (const number of arrived) {
    if (number < highest) late++
    else highest = number
  }
  return late
}

describe('memoryTransport: chaos', () => {
  it('drops about dropRate of the frames', async () => {
    const { arrived, stats } = await run({ dropRate: 0.2, seed: 1 })
    expect(arrived.length / FRAMES).toBeGreaterThan(0.77)
    expect(arrived.length / FRAMES).toBeLessThan(0.83)
    // The sender hears all of its own frames; the receiver loses some.
    expect(stats.framesDropped).toBe(FRAMES - arrived.length)
    expect(stats.framesDelivered).toBe(FRAMES + arrived.length)
    expect(lateFrames(arrived)).toBe(0)
  })

  it('duplicates about duplicateRate of the frames, each copy right after the first', async () => {
    const { arrived, stats } = await run({ duplicateRate: 0.1, seed: 2 })
    const extra = arrived.length - FRAMES
    expect(extra / FRAMES).toBeGreaterThan(0.085)
    expect(extra / FRAMES).toBeLessThan(0.115)
    expect(stats.framesDuplicated).toBe(extra)
    expect(new Set(arrived).size).toBe(FRAMES)
    expect(lateFrames(arrived)).toBe(0)
  })

  it('reorders about reorderRate of the frames and loses none', async () => {
    const { arrived } = await run({ reorderRate: 0.1, seed: 3 })
    expect([...arrived].sort((x, y) => x - y)).toEqual(Array.from({ length: FRAMES }, (_, i) => i))
    const late = lateFrames(arrived)
    expect(late / FRAMES).toBeGreaterThan(0.085)
    expect(late / FRAMES).toBeLessThan(0.115)
  })

  it('combines faults and replays exactly for a seed', async () => {
    const chaos = {
      dropRate: 0.05,
      duplicateRate: 0.05,
      reorderRate: 0.05,
      delay: { min: 0, max: 20 },
      seed: 77,
    }
    const first = await run(chaos, 1_000)
    const second = await run(chaos, 1_000)
    expect(second.arrived).toEqual(first.arrived)
    const other = await run({ ...chaos, seed: 78 }, 1_000)
    expect(other.arrived).not.toEqual(first.arrived)
  })

  it('delays frames between min and max while keeping their order', async () => {
    const bus = createMemoryBus()
    const sender = memoryTransport({ bus })
    const receiver = memoryTransport({ bus, chaos: { delay: { min: 10, max: 50 }, seed: 4 } })
    const heard = recorder()
    await sender.connect(channel, recorder().listener)
    await receiver.connect(channel, heard.listener)
    for (let number = 0; number < 200; number++) await sender.publish(numbered(number))
    await vi.advanceTimersByTimeAsync(9)
    expect(heard.frames).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(41)
    expect(heard.frames.map(numberOf)).toEqual(Array.from({ length: 200 }, (_, i) => i))
    await sender.close()
    await receiver.close()
  })

  it('delivers a held-back frame that nothing overtakes after delay.max + 10 ms', async () => {
    const bus = createMemoryBus()
    const sender = memoryTransport({ bus })
    const receiver = memoryTransport({ bus, chaos: { reorderRate: 1, delay: { max: 5 } } })
    const heard = recorder()
    await sender.connect(channel, recorder().listener)
    await receiver.connect(channel, heard.listener)
    await sender.publish(numbered(1))
    await vi.advanceTimersByTimeAsync(14)
    expect(heard.frames).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(heard.frames.map(numberOf)).toEqual([1])
    await sender.close()
    await receiver.close()
  })

  it('applies to the frames of the transport that has it, not to others', async () => {
    const bus = createMemoryBus()
    const sender = memoryTransport({ bus })
    const deaf = memoryTransport({ bus, chaos: { dropRate: 1 } })
    const [heardBySender, heardByDeaf] = [recorder(), recorder()]
    await sender.connect(channel, heardBySender.listener)
    await deaf.connect(channel, heardByDeaf.listener)
    for (let number = 0; number < 10; number++) await sender.publish(numbered(number))
    await deaf.publish(numbered(10))
    await vi.runAllTimersAsync()
    expect(heardBySender.frames).toHaveLength(11)
    expect(heardByDeaf.frames).toHaveLength(0)
    await sender.close()
    await deaf.close()
  })
})
