// The checker's arithmetic, on hand-made histories: the suite's verdicts are
// only as good as this.
import { describe, expect, it } from 'vitest'
import { StalenessChecker } from '../src/checker.mjs'
import { GET, MISS, PEEK } from '../src/log-format.mjs'

function checker() {
  return new StalenessChecker({
    keys: ['a', 'b'],
    workers: ['writer', 'reader'],
    writers: ['writer'],
    keyWriters: ['writer', 'writer'],
    normalBound: 250,
    faultBound: 1_000,
  })
}

/** Writes as the worker logs them: key, counter, start, end, ok. */
const writes = (...rows: [number, number, number, number, 0 | 1][]) => rows.flat()
/** Reads: time, key, counter, method. */
const reads = (...rows: [number, number, number, number][]) => rows.flat()

describe('StalenessChecker', () => {
  it('measures a read from the completion of the first newer successful write', () => {
    const check = checker()
    check.add('writer', {
      watermark: 10_000,
      writes: writes([0, 1, 0, 10, 1], [0, 2, 100, 110, 1]),
    })
    check.add('reader', {
      watermark: 10_000,
      reads: reads(
        [105, 0, 1, GET], // the write of 2 had not returned yet: fresh
        [200, 0, 1, GET], // 90 ms after it returned
        [500, 0, 1, PEEK], // 390 ms: past the normal bound
        [600, 0, 2, GET], // the newest: fresh
        [700, 0, MISS, GET], // nothing found: not stale, counted as a miss
      ),
    })
    const result = check.finish()
    expect(result.reads.total).toBe(5)
    expect(result.reads.misses).toBe(1)
    expect(result.staleReads).toBe(2)
    expect(result.worst.normal).toBe(390)
    expect(result.overBound).toBe(1)
    expect(result.examples[0]).toMatchObject({
      key: 'a',
      method: 'peek',
      staleness: 390,
      counter: 1,
    })
  })

  it('never counts a failed write as completed, though its value may be read', () => {
    const check = checker()
    check.add('writer', {
      watermark: 10_000,
      writes: writes([1, 1, 0, 10, 1], [1, 2, 20, 1_020, 0], [1, 3, 1_030, 1_040, 1]),
    })
    check.add('reader', {
      watermark: 10_000,
      reads: reads(
        [900, 1, 1, GET], // the failed write of 2 does not make 1 stale
        [1_100, 1, 2, GET], // stale by 60 ms after 3 returned
        [1_100, 1, 1, GET], // the same
      ),
    })
    const result = check.finish()
    expect(result.writes).toEqual({ ok: 2, failed: 1 })
    expect(result.staleReads).toBe(2)
    expect(result.worst.normal).toBe(60)
    expect(result.overBound).toBe(0)
  })

  it('applies the fault bound when the read or the write that outdated it is in a fault window', () => {
    const check = checker()
    const window = check.openWindow('fault', 1_000)
    check.closeWindow(window, 2_000)
    check.add('writer', {
      watermark: 10_000,
      writes: writes(
        [0, 1, 0, 10, 1],
        [0, 2, 1_500, 1_510, 1],
        [1, 1, 0, 10, 1],
        [1, 2, 3_000, 3_010, 1],
      ),
    })
    check.add('reader', {
      watermark: 10_000,
      reads: reads(
        [2_300, 0, 1, GET], // read after the window, write inside it: 790 ms, within the fault bound
        [3_500, 1, 1, GET], // all outside: 490 ms, past the normal bound
      ),
    })
    const result = check.finish()
    expect(result.worst).toEqual({ normal: 490, fault: 790 })
    expect(result.overBound).toBe(1)
    expect(result.examples[0]).toMatchObject({ key: 'b', bound: 250 })
  })

  it('holds reads back until every writer has reported past them', () => {
    const check = checker()
    check.add('reader', { watermark: 1_000, reads: reads([500, 0, 1, GET]) })
    expect(check.reads.total).toBe(0)
    // The write that outdates the read arrives after it: the read must still be judged with it.
    check.add('writer', { watermark: 1_000, writes: writes([0, 1, 0, 10, 1], [0, 2, 100, 110, 1]) })
    expect(check.reads.total).toBe(1)
    expect(check.finish().worst.normal).toBe(390)
  })

  it('does not count time when the reader was not running, and says so', () => {
    const check = checker()
    check.add('writer', {
      watermark: 10_000,
      writes: writes([0, 1, 0, 10, 1], [0, 2, 100, 110, 1], [1, 1, 0, 10, 1], [1, 2, 200, 210, 1]),
    })
    check.add('reader', {
      watermark: 10_000,
      reads: reads([500, 0, 1, GET], [520, 1, 1, GET]),
      // 100-450 ms: a stall with 5 ms of CPU, so the reader was descheduled.
      stalls: [100, 450, 5],
    })
    // A stall the writer spent busy (GC): counts in full. Stalls may arrive after the reads.
    check.add('writer', { watermark: 10_000, stalls: [210, 500, 280] })
    const result = check.finish()
    // Key a: 390 ms stale, 340 of them descheduled: excused. Key b: 310 ms, 240 descheduled.
    expect(result.overBound).toBe(0)
    expect(result.descheduled.reads).toBe(2)
    expect(result.descheduled.worst).toMatchObject({ key: 'a', staleness: 390, descheduled: 340 })
    expect(result.descheduled.longestStalls).toEqual({
      writer: { descheduled: 0, busy: 290 },
      reader: { descheduled: 350, busy: 0 },
    })
  })

  it('flags counters nobody wrote and write logs out of order', () => {
    const check = checker()
    check.add('writer', { watermark: 10_000, writes: writes([0, 2, 0, 10, 1], [0, 1, 20, 30, 1]) })
    check.add('reader', { watermark: 10_000, reads: reads([40, 0, 7, GET]) })
    const result = check.finish()
    expect(result.unwrittenCounters).toEqual(['a'])
    expect(result.orderViolations).toBe(1)
  })
})
