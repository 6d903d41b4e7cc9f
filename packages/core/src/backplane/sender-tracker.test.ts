import { describe, expect, it } from 'vitest'
import { SenderTracker } from './sender-tracker.js'

describe('SenderTracker', () => {
  it('follows sequences and reports gaps with their size', () => {
    const tracker = new SenderTracker(1_000)
    expect(tracker.observe('a', 1, 1, 0)).toEqual({ kind: 'next' })
    expect(tracker.observe('a', 1, 10, 0)).toEqual({ kind: 'gap', missed: 8 })
    expect(tracker.observe('a', 1, 11, 0)).toEqual({ kind: 'next' })
    expect(tracker.observe('a', 1, 14, 0)).toEqual({ kind: 'gap', missed: 2 })
    expect(tracker.observe('a', 1, 12, 0)).toEqual({ kind: 'late' })
    expect(tracker.observe('a', 1, 14, 0)).toEqual({ kind: 'late' })
    expect(tracker.observe('a', 1, 15, 0)).toEqual({ kind: 'next' })
  })

  it('a new epoch restarts the sender, senders are independent', () => {
    const tracker = new SenderTracker(1_000)
    tracker.observe('a', 1, 1, 0)
    expect(tracker.observe('a', 2, 1, 0)).toEqual({ kind: 'next' })
    expect(tracker.observe('b', 9, 1, 0)).toEqual({ kind: 'next' })
    expect(tracker.observe('a', 2, 2, 0)).toEqual({ kind: 'next' })
  })

  it('a first frame that is not the sender first one counts as a gap of unknown size', () => {
    const tracker = new SenderTracker(1_000)
    expect(tracker.observe('a', 1, 100, 0)).toEqual({ kind: 'gap', missed: undefined })
    expect(tracker.observe('a', 1, 101, 0)).toEqual({ kind: 'next' })
    tracker.observe('a', 1, 102, 0)
    expect(tracker.observe('a', 2, 7, 0)).toEqual({ kind: 'gap', missed: undefined })
  })

  it('forgets silent senders and stays bounded', () => {
    const tracker = new SenderTracker(100, 3)
    for (const sender of ['a', 'b', 'c', 'd']) tracker.observe(sender, 1, 1, 0)
    expect(tracker.size).toBe(3)
    tracker.observe('d', 1, 2, 150)
    tracker.prune(150)
    expect(tracker.size).toBe(1)
  })
})
