// Compares every read with the history of writes.
//
// A read that began at time t and returned write counter c of a key is stale
// by t - T, where T is the completion time of the first successful write of
// that key newer than c (0 when there is none, or T >= t). Reads are timed at
// their start: a read that began before a write returned may fairly return the
// old value. Writes whose call failed never count as completed, though they
// may have reached Redis: a read may return their counter without blame.
//
// The bound a stale read is judged by is the fault bound when the read, or
// the write that made it stale, falls in a fault window (from the injection
// of a fault until every worker is healthy again), else the propagation bound.
//
// Time during which the reading or the writing process did not run at all
// (the machine gave its cores to other processes: a stall of its event loop
// during which it used less than half the CPU time) is not counted against
// the cache, which cannot propagate anything while it is not scheduled. Such
// reads are reported on their own; stalls a process spent busy (GC, slow
// code) count in full.

import { INVALID, MISS, methods } from './log-format.mjs'

const keptExamples = 20

/** Index of the first element of the sorted array `values` greater than `value`. */
function firstGreater(values, value) {
  let low = 0
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (values[middle] <= value) low = middle + 1
    else high = middle
  }
  return low
}

export class StalenessChecker {
  /**
   * @param {{ keys: string[], workers: string[], writers: string[], keyWriters?: (string | undefined)[], normalBound: number, faultBound: number }} options
   */
  constructor({ keys, workers, writers, keyWriters, normalBound, faultBound }) {
    this.keys = keys
    this.workers = workers
    this.normalBound = normalBound
    this.faultBound = faultBound
    /** Per key: counters and completion times of successful writes, in write order. */
    this.completed = keys.map(() => ({ counters: [], ends: [] }))
    this.attempted = keys.map(() => 0)
    this.highestRead = keys.map(() => 0)
    this.writes = { ok: 0, failed: 0 }
    this.watermarks = new Map(writers.map((worker) => [worker, 0]))
    /** The worker that writes each key. */
    this.keyWriters = keyWriters ?? []
    /** Per worker: [start, end] of stalls during which it hardly ran. */
    this.descheduled = new Map(workers.map((worker) => [worker, []]))
    this.longestStall = new Map(workers.map((worker) => [worker, { descheduled: 0, busy: 0 }]))
    /** Reads past their bound, judged once every stall is known. */
    this.candidates = []
    this.pending = []
    this.windows = []
    this.tailFrom = Number.POSITIVE_INFINITY
    this.tail = []
    this.reads = {
      total: 0,
      misses: 0,
      invalid: 0,
      byMethod: Object.fromEntries(methods.map((name) => [name, 0])),
    }
    this.worst = { normal: 0, fault: 0 }
    this.worstReads = { normal: undefined, fault: undefined }
    /** Stale reads by staleness in ms (the last bucket holds everything longer). */
    this.histogram = { normal: new Uint32Array(10_001), fault: new Uint32Array(10_001) }
    this.staleReads = 0
    this.examples = []
    this.errors = []
    this.orderViolations = 0
  }

  /** A fault starts now; the returned window is closed with {@link closeWindow}. */
  openWindow(name, start = Date.now()) {
    const window = { name, start, end: undefined }
    this.windows.push(window)
    return window
  }

  closeWindow(window, end = Date.now()) {
    window.end = end
  }

  /** Reads from now on are kept for the convergence analysis. */
  keepTailFrom(time) {
    this.tailFrom = time
  }

  inWindow(time) {
    return this.windows.some(
      (window) => window.start <= time && time <= (window.end ?? Number.POSITIVE_INFINITY),
    )
  }

  /** A batch from one worker. */
  add(worker, batch) {
    const writes = batch.writes ?? []
    for (let index = 0; index < writes.length; index += 5) {
      const keyIndex = writes[index]
      const counter = writes[index + 1]
      const end = writes[index + 3]
      this.attempted[keyIndex] = Math.max(this.attempted[keyIndex], counter)
      if (writes[index + 4] !== 1) {
        this.writes.failed++
        continue
      }
      this.writes.ok++
      const history = this.completed[keyIndex]
      const last = history.counters.length - 1
      // One writer per key, one write at a time: counters and ends grow together.
      if (last >= 0 && (history.counters[last] >= counter || history.ends[last] > end)) {
        this.orderViolations++
      }
      history.counters.push(counter)
      history.ends.push(end)
    }
    for (const error of batch.errors ?? []) {
      const [time, method, keyIndex, code, message] = error
      this.errors.push({
        worker,
        time,
        method: methods[method],
        key: this.keys[keyIndex],
        code,
        message,
        inFault: this.inWindow(time),
      })
    }
    const reads = batch.reads ?? []
    if (reads.length > 0) {
      let latest = 0
      for (let index = 0; index < reads.length; index += 4) latest = Math.max(latest, reads[index])
      this.pending.push({ worker, reads, latest })
    }
    const stalls = batch.stalls ?? []
    for (let index = 0; index < stalls.length; index += 3) {
      const [start, end, cpu] = [stalls[index], stalls[index + 1], stalls[index + 2]]
      const longest = this.longestStall.get(worker)
      if (cpu < (end - start) / 2) {
        this.descheduled.get(worker)?.push([start, end])
        if (longest) longest.descheduled = Math.max(longest.descheduled, end - start)
      } else if (longest) {
        longest.busy = Math.max(longest.busy, end - start)
      }
    }
    if (this.watermarks.has(worker)) this.watermarks.set(worker, batch.watermark)
    this.judgePending(false)
  }

  /** A writer that is gone no longer holds judgement back. */
  forgetWriter(worker) {
    this.watermarks.delete(worker)
  }

  /** Judges the batches every writer has reported past; all of them when `everything`. */
  judgePending(everything) {
    const watermark = everything
      ? Number.POSITIVE_INFINITY
      : Math.min(Number.POSITIVE_INFINITY, ...this.watermarks.values())
    const waiting = []
    for (const chunk of this.pending) {
      if (chunk.latest < watermark) this.judgeChunk(chunk)
      else waiting.push(chunk)
    }
    this.pending = waiting
  }

  judgeChunk({ worker, reads }) {
    for (let index = 0; index < reads.length; index += 4) {
      const time = reads[index]
      const keyIndex = reads[index + 1]
      const counter = reads[index + 2]
      const method = reads[index + 3]
      this.reads.total++
      this.reads.byMethod[methods[method]]++
      if (time >= this.tailFrom) this.tail.push({ worker, time, keyIndex, counter, method })
      if (counter === MISS) {
        this.reads.misses++
        continue
      }
      if (counter === INVALID) {
        this.reads.invalid++
        continue
      }
      this.highestRead[keyIndex] = Math.max(this.highestRead[keyIndex], counter)
      this.judgeRead(worker, time, keyIndex, counter, method)
    }
  }

  judgeRead(worker, time, keyIndex, counter, method) {
    const history = this.completed[keyIndex]
    const newer = firstGreater(history.counters, counter)
    if (newer === history.counters.length) return
    const newerEnd = history.ends[newer]
    if (newerEnd >= time) return
    const staleness = time - newerEnd
    this.staleReads++
    const inFault = this.inWindow(time) || this.inWindow(newerEnd)
    const bound = inFault ? this.faultBound : this.normalBound
    const period = inFault ? 'fault' : 'normal'
    this.histogram[period][Math.min(staleness, 10_000)]++
    const read = {
      worker,
      key: this.keys[keyIndex],
      method: methods[method],
      time,
      counter,
      staleness,
      bound,
      newerWrite: { counter: history.counters[newer], end: newerEnd },
    }
    if (staleness > this.worst[period]) {
      this.worst[period] = staleness
      this.worstReads[period] = read
    }
    if (staleness <= bound) return
    read.keyIndex = keyIndex
    this.candidates.push(read)
  }

  /** How long the reader or the key's writer did not run between the write's return and the read. */
  descheduledDuring(read) {
    const from = read.newerWrite.end
    const intervals = [read.worker, this.keyWriters[read.keyIndex]]
      .flatMap((worker) => this.descheduled.get(worker) ?? [])
      .map(([start, end]) => [Math.max(start, from), Math.min(end, read.time)])
      .filter(([start, end]) => end > start)
      .sort((left, right) => left[0] - right[0])
    let total = 0
    let reach = from
    for (const [start, end] of intervals) {
      if (end <= reach) continue
      total += end - Math.max(start, reach)
      reach = end
    }
    return total
  }

  /** Judges what is left and sums up. */
  finish() {
    this.judgePending(true)
    const excused = []
    for (const read of this.candidates) {
      read.descheduled = this.descheduledDuring(read)
      if (read.staleness - read.descheduled <= read.bound) excused.push(read)
      else this.examples.push(read)
    }
    this.examples.sort((left, right) => right.staleness - left.staleness)
    const overBound = this.examples.length
    this.examples.length = Math.min(this.examples.length, keptExamples)
    excused.sort((left, right) => right.staleness - left.staleness)
    // A counter nobody wrote would be a corrupt or foreign value.
    const unwritten = this.keys.filter(
      (_key, keyIndex) => this.highestRead[keyIndex] > this.attempted[keyIndex],
    )
    const inFault = this.errors.filter((error) => error.inFault)
    const outside = this.errors.filter((error) => !error.inFault)
    return {
      reads: this.reads,
      writes: this.writes,
      staleReads: this.staleReads,
      worst: this.worst,
      worstReads: this.worstReads,
      percentiles: {
        normal: percentiles(this.histogram.normal),
        fault: percentiles(this.histogram.fault),
      },
      bounds: { normal: this.normalBound, fault: this.faultBound },
      overBound,
      examples: this.examples,
      descheduled: {
        reads: excused.length,
        worst: excused[0],
        longestStalls: Object.fromEntries(this.longestStall),
      },
      unwrittenCounters: unwritten,
      orderViolations: this.orderViolations,
      errors: {
        inFault: countBy(inFault, (error) => `${error.method} ${error.code}`),
        outside: countBy(outside, (error) => `${error.method} ${error.code}`),
        outsideExamples: outside.slice(0, 5),
      },
      windows: this.windows.map(({ name, start, end }) => ({ name, start, end })),
    }
  }

  /** Successful writes of a key as [counter, end] pairs, for timelines. */
  historyOf(keyIndex) {
    const { counters, ends } = this.completed[keyIndex]
    return counters.map((counter, index) => [counter, ends[index]])
  }
}

/** Staleness percentiles of the stale reads (reads that were not stale are not counted). */
function percentiles(histogram) {
  let total = 0
  for (const count of histogram) total += count
  const result = { count: total }
  for (const share of [0.5, 0.99, 0.999]) {
    let seen = 0
    let bucket = 0
    for (; bucket < histogram.length; bucket++) {
      seen += histogram[bucket]
      if (seen >= share * total) break
    }
    result[`p${share * 100}`] = total === 0 ? 0 : bucket
  }
  return result
}

function countBy(items, name) {
  const counts = {}
  for (const item of items) counts[name(item)] = (counts[name(item)] ?? 0) + 1
  return counts
}
