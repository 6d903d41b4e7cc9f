import { PRODUCT_IDS, REGIONS } from './catalog-database.mjs'
import { monotonicMicros } from './timing.mjs'

const RECORDS_KEPT = 3_000
/** How long the dashboard shows a row for an entry that the backplane evicted. */
const EVICTED_SHOWN_MS = 20_000

const CACHE_EVENTS = [
  'cacheCleared',
  'regionCleared',
  'tagsInvalidated',
  'backplaneDisconnected',
  'backplaneRecovered',
  'messagesMissed',
  'outboxOverflowed',
  'error',
]

/**
 * Watches one instance for the dashboard: its cache events, the frames its
 * transport sent and received, and what its L1 holds. `snapshot(since)` is what
 * `GET /_demo/state` answers; records carry a growing `seq` so that the
 * dashboard asks only for what is new.
 *
 * L1 is read with the memory handle's own `peek`, which has no side effects:
 * `cache.peek` would count hits and distort the figures it shows.
 */
export class InstanceObserver {
  /**
   * @param {{ name: string, l1: import('@cacheplane/memory').MemoryHandle, degradedTtlMs: number }} options
   */
  constructor({ name, l1, degradedTtlMs }) {
    this.name = name
    this.cache = undefined
    this.l1 = l1
    this.degradedTtlMs = degradedTtlMs
    this.records = []
    this.seq = 0
    /** Entries that the cache has marked stale since they were stored (messages were missed). */
    this.staleEntries = new WeakSet()
    /**
     * Entries one of whose tags was invalidated since they were stored, with
     * the tag, who invalidated it, and when. They stay in L1 (nothing is
     * scanned) but the next read of each misses.
     */
    this.invalidatedEntries = new WeakMap()
    /** `region:key` → why and when the backplane evicted it. */
    this.evictions = new Map()
    this.transport = undefined
    this.degradedSince = undefined
    this.degradedTimer = undefined
    /** L1 as it was just before the frame being delivered now. */
    this.l1Before = undefined
  }

  /**
   * Starts watching. The transport is created first (this observer is its
   * log), then the cache around it.
   */
  watch(cache, transport) {
    this.cache = cache
    this.transport = transport
    for (const name of CACHE_EVENTS) {
      cache.on(name, (event) => this.onCacheEvent(name, event))
    }
  }

  // The transport's log.

  frameSent(summary, at) {
    this.push({ type: 'frameSent', at, frame: summary })
  }

  frameReceived(summary, at, dropped) {
    // Delivered frames are compared before and after, to see what they evicted.
    if (!dropped) this.l1Before = this.l1Entries()
    this.push({ type: 'frameReceived', at, frame: compact(summary), dropped })
  }

  status(status) {
    this.push({
      type: 'event',
      at: monotonicMicros(),
      time: Date.now(),
      name: 'transportStatus',
      text: status.state === 'up' ? 'transport up' : `transport down: ${status.reason}`,
    })
  }

  /** The cache has applied the frame (synchronously): whatever left L1 meanwhile, it evicted. */
  frameDelivered(summary) {
    const before = this.l1Before
    this.l1Before = undefined
    if (before === undefined || summary.error !== undefined) return
    const after = this.l1Entries()
    const time = Date.now()
    for (const [id, entry] of before) {
      if (after.get(id) === entry) continue
      const [region, key] = id.split(':')
      const version = changedVersion(summary, region, key)
      this.evictions.set(id, {
        time,
        sender: summary.sender,
        versionBefore: entry.version,
        versionAnnounced: version,
      })
      this.push({
        type: 'event',
        at: monotonicMicros(),
        time,
        name: 'evicted',
        text: `evicted ${id} v${entry.version} (${summary.sender} announced ${version === undefined ? 'a change' : `v${version}`})`,
      })
    }
  }

  onCacheEvent(name, event) {
    if (name === 'messagesMissed') {
      for (const entry of this.l1Entries().values()) this.staleEntries.add(entry)
    }
    if (name === 'backplaneDisconnected') this.startDegraded()
    if (name === 'backplaneRecovered') this.stopDegraded()
    const frame = this.transport?.currentFrame
    const hit = name === 'tagsInvalidated' ? this.markInvalidated(event, frame) : undefined
    this.push({
      type: 'event',
      at: monotonicMicros(),
      time: Date.now(),
      name,
      text: describeEvent(name, event, frame, hit),
      detail:
        name === 'error'
          ? { code: event.code, message: event.message }
          : { ...event, cause: undefined, sender: frame?.sender },
    })
  }

  /** Marks the L1 entries that carry one of the invalidated tags; returns their ids. */
  markInvalidated(event, frame) {
    const by = event.origin === 'remote' ? (frame?.sender ?? 'another instance') : this.name
    const time = Date.now()
    const hit = []
    for (const [id, entry] of this.l1Entries()) {
      const tag = event.tags.find((candidate) => entry.tags.includes(candidate))
      if (tag === undefined) continue
      this.invalidatedEntries.set(entry, { tag, by, time })
      hit.push(id)
    }
    return hit
  }

  /** The cache stops trusting what L1 held once it has been degraded for `degradedTtl`; so does the view. */
  startDegraded() {
    this.degradedSince = Date.now()
    clearTimeout(this.degradedTimer)
    this.degradedTimer = setTimeout(() => {
      if (this.degradedSince === undefined) return
      for (const entry of this.l1Entries().values()) this.staleEntries.add(entry)
    }, this.degradedTtlMs)
    this.degradedTimer.unref()
  }

  stopDegraded() {
    this.degradedSince = undefined
    clearTimeout(this.degradedTimer)
  }

  /** Something the service did, for the log. */
  note(text) {
    this.push({ type: 'event', at: monotonicMicros(), time: Date.now(), name: 'note', text })
  }

  push(record) {
    this.seq++
    this.records.push({ seq: this.seq, ...record })
    if (this.records.length > RECORDS_KEPT) this.records.splice(0, this.records.length / 2)
  }

  /** Every live L1 entry, by `region:key`. */
  l1Entries() {
    const entries = new Map()
    for (const region of REGIONS) {
      for (const key of PRODUCT_IDS) {
        const entry = this.l1.peek(key, region)
        if (entry !== undefined) entries.set(`${region}:${key}`, entry)
      }
    }
    return entries
  }

  /** What the dashboard shows of this instance; `since` is the last `seq` it has seen. */
  snapshot(since = 0) {
    const now = Date.now()
    const stats = this.cache.stats()
    const rows = []
    const held = this.l1Entries()
    for (const [id, entry] of held) {
      const [region, key] = id.split(':')
      const invalidated = this.invalidatedEntries.get(entry)
      let state = 'fresh'
      if (invalidated !== undefined) state = 'invalidated'
      else if (this.staleEntries.has(entry)) state = 'stale'
      else if (entry.expiresAt <= now) state = 'expired'
      rows.push({
        id,
        region,
        key,
        version: entry.version,
        state,
        value: entry.value,
        tags: entry.tags,
        ttlMs: Number.isFinite(entry.expiresAt) ? Math.max(0, entry.expiresAt - now) : null,
        ...invalidated,
      })
    }
    for (const [id, eviction] of this.evictions) {
      if (now - eviction.time > EVICTED_SHOWN_MS) {
        this.evictions.delete(id)
        continue
      }
      if (held.has(id)) continue
      const [region, key] = id.split(':')
      rows.push({ id, region, key, version: eviction.versionBefore, state: 'evicted', ...eviction })
    }
    rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
    return {
      name: this.name,
      instanceId: this.cache.instanceId,
      pid: process.pid,
      time: now,
      stats,
      degraded: stats.backplane !== undefined && stats.backplane.state !== 'up',
      degradedSince: this.degradedSince ?? null,
      degradedTtlMs: this.degradedTtlMs,
      droppingUntil: this.transport?.dropping ? this.transport.dropUntil : null,
      entries: rows,
      records: this.records.filter((record) => record.seq > since),
      cursor: this.seq,
    }
  }
}

/** Heartbeat frames are many: the dashboard needs only who sent them. */
function compact(summary) {
  if (!summary.heartbeatOnly) return summary
  const { id, sender, epoch, sequence, bytes } = summary
  return { id, sender, epoch, sequence, bytes, heartbeatOnly: true }
}

function changedVersion(summary, region, key) {
  for (const operation of summary.operations ?? []) {
    if (operation.kind !== 'changed' || (operation.region ?? '') !== region) continue
    const index = operation.keys.indexOf(key)
    if (index >= 0) return operation.versions[index]
  }
  return undefined
}

function describeEvent(name, event, frame, hit = []) {
  const from = frame === undefined ? '' : ` from ${frame.sender}`
  switch (name) {
    case 'cacheCleared':
      return `cache cleared${from}`
    case 'regionCleared':
      return `region "${event.region}" cleared${event.origin === 'remote' ? from : ' here'}`
    case 'tagsInvalidated':
      return `tag${event.tags.length > 1 ? 's' : ''} ${event.tags.join(', ')} invalidated${event.origin === 'remote' ? from : ' here'}: ${hit.length === 0 ? 'no L1 entry carries it' : `${hit.length} L1 entr${hit.length === 1 ? 'y' : 'ies'} now miss (${hit.join(', ')})`}`
    case 'backplaneDisconnected':
      return `backplane down (${event.reason}): degraded, L1 entries live at most degradedTtl`
    case 'backplaneRecovered':
      return `backplane recovered after ${event.downtimeMs} ms`
    case 'messagesMissed':
      return `messages missed (${event.reason}${event.senderId ? ` from ${event.senderId}` : ''}${event.missed ? `, ${event.missed} frames` : ''}): L1 marked stale`
    case 'outboxOverflowed':
      return `outbox overflowed, ${event.dropped} invalidations dropped: a clear follows`
    case 'error':
      return `error ${event.code}: ${event.message}`
    default:
      return name
  }
}
