import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeliveryQueue } from './delivery-queue.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const frame = (number: number) => Uint8Array.of(number)

describe('DeliveryQueue', () => {
  it('keeps each sender in order whatever the delays, and senders apart', async () => {
    const delivered: number[] = []
    const queue = new DeliveryQueue((bytes) => delivered.push(bytes[0]!), 0)
    const [a, b] = [{}, {}]
    queue.enqueue(a, frame(1), 30)
    queue.enqueue(a, frame(2), 0)
    queue.enqueue(b, frame(10), 5)
    expect(queue.pending).toBe(3)
    await vi.advanceTimersByTimeAsync(5)
    expect(delivered).toEqual([10])
    await vi.advanceTimersByTimeAsync(25)
    expect(delivered).toEqual([10, 1, 2])
    expect(queue.pending).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('puts held frames right behind the next frame of their sender', async () => {
    const delivered: number[] = []
    const queue = new DeliveryQueue((bytes) => delivered.push(bytes[0]!), 100)
    const sender = {}
    queue.hold(sender, frame(1))
    queue.hold(sender, frame(2))
    queue.enqueue(sender, frame(3), 0)
    queue.enqueue(sender, frame(4), 0)
    await vi.runAllTimersAsync()
    expect(delivered).toEqual([3, 1, 2, 4])
  })

  it('discards everything and stops a drain that a delivery interrupted', async () => {
    const delivered: number[] = []
    const queue: DeliveryQueue = new DeliveryQueue((bytes) => {
      delivered.push(bytes[0]!)
      if (bytes[0] === 1) expect(queue.discard()).toBe(2)
    }, 0)
    const sender = {}
    queue.enqueue(sender, frame(1), 0)
    queue.enqueue(sender, frame(2), 0)
    queue.hold(sender, frame(3))
    await vi.runAllTimersAsync()
    expect(delivered).toEqual([1])
    expect(queue.pending).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
