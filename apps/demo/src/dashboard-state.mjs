import { summarizeFrame } from './frame-summary.mjs'
import { elapsedMs, monotonicMicros } from './timing.mjs'

const FRAMES_KEPT = 300
const FRAMES_SHOWN = 60
const LOG_KEPT = 200
const EVENTS_KEPT = 1_000
const LATENCIES_KEPT = 500
const POLL_TIMEOUT_MS = 2_000

/**
 * What the dashboard knows: each instance's latest state (polled from its
 * `/_demo/state`), the frames seen on the channel by the dashboard's own
 * subscriber, joined with the instances' records of when each frame was
 * published and received (the propagation time), and a log of what happened.
 */
export class DashboardState {
  constructor({ backend, instances, settings }) {
    this.backend = backend
    this.settings = settings
    this.instances = instances.map((instance) => ({
      ...instance,
      cursor: 0,
      snapshot: undefined,
      reachable: false,
      error: undefined,
    }))
    this.frames = new Map()
    this.heartbeats = { count: 0, bySender: {} }
    this.latencies = { invalidation: [], heartbeat: [] }
    this.log = []
    /** Every instance's events, structured (the scenario reads them). */
    this.events = []
    this.tap = { state: 'connecting', frames: 0, channel: undefined }
    this.outageUntil = 0
  }

  // The dashboard's own subscriber.

  onTapFrame(bytes) {
    this.tap.frames++
    const summary = summarizeFrame(bytes)
    if (summary.error !== undefined) {
      this.addLog('dashboard', `undecodable frame (${summary.bytes} bytes): ${summary.error}`)
      return
    }
    if (summary.heartbeatOnly) {
      this.heartbeats.count++
      this.heartbeats.bySender[summary.sender] = Date.now()
    }
    const frame = this.frameRecord(summary)
    frame.tappedAt = monotonicMicros()
    frame.time ??= Date.now()
  }

  onTapStatus(state) {
    if (state === this.tap.state) return
    this.tap.state = state
    this.addLog('dashboard', `dashboard subscriber ${state}`)
  }

  frameRecord(summary) {
    let frame = this.frames.get(summary.id)
    if (frame === undefined) {
      frame = {
        id: summary.id,
        sender: summary.sender,
        epoch: summary.epoch,
        sequence: summary.sequence,
        bytes: summary.bytes,
        operations: summary.operations,
        heartbeatOnly: summary.heartbeatOnly,
        time: undefined,
        tappedAt: undefined,
        sentAt: undefined,
        receivers: {},
      }
      this.frames.set(summary.id, frame)
      if (this.frames.size > FRAMES_KEPT) {
        this.frames.delete(this.frames.keys().next().value)
      }
    }
    if (frame.operations === undefined && summary.operations !== undefined) {
      frame.operations = summary.operations
    }
    return frame
  }

  // Polling the instances.

  async poll() {
    await Promise.all(this.instances.map((instance) => this.pollInstance(instance)))
  }

  async pollInstance(instance) {
    try {
      const response = await fetch(`${instance.url}/_demo/state?since=${instance.cursor}`, {
        signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const snapshot = await response.json()
      for (const record of snapshot.records) this.onRecord(instance, record)
      instance.cursor = snapshot.cursor
      delete snapshot.records
      instance.snapshot = snapshot
      if (!instance.reachable) this.addLog(instance.name, 'reachable')
      instance.reachable = true
      instance.error = undefined
    } catch (error) {
      if (instance.reachable) this.addLog(instance.name, `not answering: ${error.message}`)
      instance.reachable = false
      instance.error = error.message
    }
  }

  onRecord(instance, record) {
    switch (record.type) {
      case 'frameSent': {
        if (record.frame.error !== undefined) return
        const frame = this.frameRecord(record.frame)
        frame.sentAt = record.at
        frame.time ??= Date.now()
        for (const receipt of Object.values(frame.receivers)) {
          this.noteLatency(frame, receipt)
        }
        return
      }
      case 'frameReceived': {
        if (record.frame.error !== undefined || record.frame.sender === instance.name) return
        const frame = this.frameRecord(record.frame)
        const receipt = { at: record.at, dropped: record.dropped }
        frame.receivers[instance.name] = receipt
        this.noteLatency(frame, receipt)
        return
      }
      case 'event':
        this.addLog(instance.name, record.text, record.time, record.name)
        this.events.push({ instance: instance.name, ...record })
        if (this.events.length > EVENTS_KEPT) this.events.shift()
        return
    }
  }

  noteLatency(frame, receipt) {
    if (frame.sentAt === undefined || receipt.dropped || receipt.noted) return
    receipt.noted = true
    receipt.latencyMs = elapsedMs(frame.sentAt, receipt.at)
    const list = frame.heartbeatOnly ? this.latencies.heartbeat : this.latencies.invalidation
    list.push(receipt.latencyMs)
    if (list.length > LATENCIES_KEPT) list.shift()
  }

  addLog(source, text, time = Date.now(), kind = 'note') {
    this.log.push({ time, source, text, kind })
    if (this.log.length > LOG_KEPT) this.log.shift()
  }

  // What the browser gets.

  view() {
    const frames = [...this.frames.values()]
      .filter((frame) => !frame.heartbeatOnly)
      .slice(-FRAMES_SHOWN)
      .reverse()
      .map((frame) => ({
        id: frame.id,
        time: frame.time,
        sender: frame.sender,
        sequence: frame.sequence,
        bytes: frame.bytes,
        operations: frame.operations ?? [],
        seenByDashboard: frame.tappedAt !== undefined,
        receivers: Object.entries(frame.receivers)
          .map(([name, receipt]) => ({
            name,
            dropped: receipt.dropped,
            latencyMs: receipt.latencyMs ?? null,
          }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      }))
    return {
      time: Date.now(),
      mode: {
        kind: this.backend.kind,
        description: this.backend.description,
        faults: this.backend.faults,
        settings: this.settings,
      },
      outageUntil: this.outageUntil > Date.now() ? this.outageUntil : null,
      tap: this.tap,
      instances: this.instances.map((instance) => ({
        index: instance.index,
        name: instance.name,
        url: instance.url,
        port: instance.port,
        pid: instance.pid,
        reachable: instance.reachable,
        error: instance.error ?? null,
        ...(instance.snapshot ?? {}),
      })),
      frames,
      heartbeats: this.heartbeats,
      propagation: {
        invalidations: summarize(this.latencies.invalidation),
        heartbeats: summarize(this.latencies.heartbeat),
      },
      // Instances report in batches: order by time, newest first.
      log: this.log.slice(-80).sort((a, b) => b.time - a.time),
    }
  }
}

/** Count, median, 95th percentile and max of a list of milliseconds. */
export function summarize(values) {
  if (values.length === 0) return { count: 0, medianMs: null, p95Ms: null, maxMs: null }
  const sorted = [...values].sort((a, b) => a - b)
  const at = (share) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]
  return { count: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: sorted.at(-1) }
}
