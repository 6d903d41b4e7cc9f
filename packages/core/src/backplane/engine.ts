import type { BackplaneStats } from '../cache-types.js'
import type { CacheEntry } from '../entry.js'
import { CacheplaneError } from '../errors.js'
import type { CacheHandle } from '../handle.js'
import type { ResolvedBackplaneOptions } from '../options.js'
import { decodeFrame, encodeFrame } from '../protocol/codec.js'
import type { Frame, Operation } from '../protocol/frame.js'
import { encodedFrameSize } from '../protocol/frame-size.js'
import type { BackplaneTransport, TransportStatus } from '../transport.js'
import { channelName } from './channel.js'
import { splitOperations } from './frame-splitter.js'
import { PendingOperations } from './pending-operations.js'
import { SenderTracker } from './sender-tracker.js'

/** What the engine needs from the cache it serves. @internal */
export interface BackplaneHost {
  /** Applies another instance's invalidation to the local layers. */
  applyRemote(operation: Operation): void
  /** Marks every local entry stale: frames may have been missed. */
  markAllStale(): void
  /** While degraded, local copies live at most `degradedTtl`. */
  setDegraded(degraded: boolean): void
  emitError(error: CacheplaneError): void
  emitDisconnected(reason: string, cause: unknown): void
  emitRecovered(downtimeMs: number): void
  emitMessagesMissed(
    reason: 'sequenceGap' | 'reconnect' | 'heartbeatLost',
    senderId?: string,
    missed?: number,
  ): void
  emitOutboxOverflowed(dropped: number): void
}

type State = BackplaneStats['state']

const RETRY_MIN = 50
const RETRY_MAX = 5_000

/**
 * The backplane protocol, for any transport: batches invalidations into
 * frames on the next turn of the event loop, numbers them, retries failed
 * ones from a bounded outbox, and on the receiving side validates frames,
 * ignores its own, detects lost frames (sequence gaps, reconnects, its own
 * heartbeats going silent) and runs the cache degraded while it cannot trust
 * the channel.
 * @internal
 */
export class BackplaneEngine {
  readonly channel: string
  private readonly epoch = Math.floor(Math.random() * 0xffff_ffff)
  private sequence = 0
  private state: State = 'connecting'
  private downSince = Date.now()
  private lastOwnFrameAt = 0
  private silentSenders = 0
  private reportedDegraded = false
  private markReady!: () => void
  private failReady!: (error: CacheplaneError) => void
  /** Settles once the first subscription is up (or the engine closes first). */
  readonly ready: Promise<void> = new Promise<void>((resolve, reject) => {
    this.markReady = resolve
    this.failReady = reject
  })
  private readonly pending = new PendingOperations()
  private readonly outbox = new PendingOperations()
  private readonly senders: SenderTracker
  private flushScheduled = false
  private heartbeatDue = false
  private publishing: Promise<void> | undefined
  /** Frames of the batch being published that are not yet handed to the transport. */
  private unsentFrames = 0
  /** `setAndPublish` calls not yet settled, and a promise that settles when none is left. */
  private writesInFlight = 0
  private writesSettled: Promise<void> | undefined
  private markWritesSettled: (() => void) | undefined
  /** Those writes took longer than a heartbeat interval: other frames no longer wait for them. */
  private writesOverdue = false
  private retryDelay = RETRY_MIN
  /** The source whose `setAndPublish` reaches our subscribers, once asked; `null`: none. */
  private writeThrough: CacheHandle | null | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private degradedTimer: NodeJS.Timeout | undefined
  private connectTimer: NodeJS.Timeout | undefined
  private readonly counters = {
    framesPublished: 0,
    framesReceived: 0,
    invalidationsPublished: 0,
    invalidationsReceived: 0,
    ownFramesIgnored: 0,
    decodeErrors: 0,
    gapsDetected: 0,
    publishFailures: 0,
    outboxOverflows: 0,
    framesPublishedWithWrites: 0,
  }

  constructor(
    private readonly transport: BackplaneTransport,
    private readonly options: ResolvedBackplaneOptions,
    private readonly cacheName: string,
    private readonly host: BackplaneHost,
  ) {
    this.channel = channelName(options.channelPrefix, cacheName)
    // Nobody may be waiting: an unobserved rejection must not crash the process.
    this.ready.catch(() => undefined)
    this.senders = new SenderTracker(10 * options.heartbeatTimeout)
  }

  /**
   * True while frames may be missed: our subscription is not up, or a sender
   * we know has gone silent (it may be writing the L2 without being able to
   * publish). L1 entries then live at most `degradedTtl`.
   */
  get degraded(): boolean {
    return this.state !== 'up' || this.silentSenders > 0
  }

  get instanceId(): string {
    return this.options.instanceId
  }

  start(): void {
    this.heartbeatTimer = setInterval(() => this.tick(), this.options.heartbeatInterval)
    this.heartbeatTimer.unref()
    this.updateDegraded()
    this.connect(0)
  }

  /** Queues an invalidation for the next flush. */
  queueKey(
    kind: 'changed' | 'removed' | 'expired',
    key: string,
    region: string | undefined,
    version: number,
  ): void {
    this.pending.addKey(kind, key, region, version)
    this.scheduleFlush()
  }

  /**
   * Writes the entry to `source` and publishes its `changed` frame in the
   * same step (`setAndPublish`), when the transport says that reaches our
   * subscribers in order with its own publishes, and no invalidation waits to
   * be sent. Returns `undefined` when it cannot: the caller then writes and
   * queues as usual. Frames queued meanwhile go out once these writes settle,
   * so that every frame leaves in sequence.
   */
  writeAndPublish(
    source: CacheHandle,
    key: string,
    region: string | undefined,
    entry: CacheEntry,
  ): Promise<number> | undefined {
    // Most caches find out once that their source cannot do it.
    if (this.writeThrough === null) return undefined
    // Queued frames wait until these writes settle; while a heartbeat is due, writes go
    // the usual way, so that overlapping writes cannot hold it back for ever.
    if (
      this.state !== 'up' ||
      this.heartbeatDue ||
      this.writesOverdue ||
      this.unsentFrames > 0 ||
      this.retryTimer !== undefined ||
      !this.pending.isEmpty ||
      !this.outbox.isEmpty ||
      this.throughSource(source) !== source
    ) {
      return undefined
    }
    const sequence = this.sequence + 1
    let frame: Uint8Array
    try {
      // Version 1 encodes as the frame's last byte; the source appends the real one.
      frame = this.encode([{ kind: 'changed', region, keys: [key], versions: [1] }], sequence)
    } catch {
      return undefined
    }
    if (frame.length + 8 > this.options.maxFrameBytes) return undefined
    const written = source.setAndPublish!(key, region, entry, {
      channel: this.channel,
      frame: frame.subarray(0, frame.length - 1),
    })
    this.sequence = sequence
    this.beginWrite()
    written.then(
      () => {
        this.counters.framesPublished++
        this.counters.framesPublishedWithWrites++
        this.counters.invalidationsPublished++
        this.endWrite()
      },
      // Whether the frame went out is unknown: a heartbeat in its place keeps
      // the sequence whole (a receiver that had the frame ignores the copy).
      () => this.fillSequence(sequence).finally(() => this.endWrite()),
    )
    return written
  }

  private beginWrite(): void {
    if (this.writesInFlight++ === 0) {
      this.writesSettled = new Promise<void>((resolve) => {
        this.markWritesSettled = resolve
      })
    }
  }

  private endWrite(): void {
    if (--this.writesInFlight > 0) return
    this.writesSettled = undefined
    this.writesOverdue = false
    this.markWritesSettled?.()
  }

  /**
   * Until the writes in flight settle, or for a heartbeat interval at most: a
   * write that hangs must not hold back every other frame. A frame sent before
   * a late write's message makes receivers count a gap (they drop their L1),
   * then apply the late one: safe.
   */
  private waitForWrites(settled: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const overdue = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.writesOverdue = true
        resolve()
      }, this.options.heartbeatInterval)
      timer.unref()
    })
    return Promise.race([settled, overdue]).finally(() => clearTimeout(timer))
  }

  queueRegionCleared(region: string): void {
    this.pending.addRegion(region)
    this.scheduleFlush()
  }

  queueCleared(): void {
    this.pending.addCleared()
    this.scheduleFlush()
  }

  queueTagsInvalidated(tags: readonly string[]): void {
    this.pending.addTags(tags)
    this.scheduleFlush()
  }

  stats(): BackplaneStats {
    return {
      state: this.state,
      instanceId: this.options.instanceId,
      channel: this.channel,
      ...this.counters,
      outboxSize: this.outbox.size,
      knownSenders: this.senders.size,
      silentSenders: this.silentSenders,
    }
  }

  /** Sends what is queued, then stops timers and closes the transport. */
  async close(): Promise<void> {
    if (this.state === 'closed') return
    await this.flushNow().catch(() => undefined)
    this.state = 'closed'
    this.failReady(
      new CacheplaneError('E_CLOSED', 'The cache was closed before its backplane was up.'),
    )
    clearInterval(this.heartbeatTimer)
    clearTimeout(this.retryTimer)
    clearTimeout(this.degradedTimer)
    clearTimeout(this.connectTimer)
    await this.transport.close()
  }

  // Connecting and status

  private connect(attempt: number): void {
    this.transport
      .connect(this.channel, {
        onFrame: (bytes) => this.receive(bytes),
        onStatus: (status) => this.onStatus(status),
      })
      .then(
        () => this.onStatus({ state: 'up' }),
        (error: unknown) => {
          if (this.state === 'closed') return
          this.host.emitError(
            new CacheplaneError(
              'E_BACKPLANE_TRANSPORT',
              `Could not subscribe to ${this.channel}; retrying.`,
              {
                cause: error,
              },
            ),
          )
          const delay = Math.min(RETRY_MAX, RETRY_MIN * 2 ** attempt)
          this.connectTimer = setTimeout(() => this.connect(attempt + 1), delay)
          this.connectTimer.unref()
        },
      )
  }

  private onStatus(status: TransportStatus): void {
    if (this.state === 'closed') return
    if (status.state === 'down') {
      this.goDown(status.reason, status.cause)
      return
    }
    this.lastOwnFrameAt = Date.now()
    this.goUp('reconnect')
  }

  /** `since`: when the trouble began (for a silent subscription, before it was noticed). */
  private goDown(reason: string, cause: unknown, since = Date.now()): void {
    if (this.state === 'down') return
    const wasUp = this.state === 'up'
    this.state = 'down'
    this.downSince = since
    this.updateDegraded(since)
    if (wasUp) this.host.emitDisconnected(reason, cause)
  }

  private goUp(reason: 'reconnect' | 'heartbeatLost'): void {
    if (this.state === 'up') return
    const first = this.state === 'connecting'
    this.state = 'up'
    this.markReady()
    // Whatever was sent while we were not listening is lost: nothing in L1 can be trusted.
    this.senders.reset()
    this.silentSenders = 0
    this.host.markAllStale()
    this.updateDegraded()
    if (!first) {
      this.host.emitMessagesMissed(reason)
      this.host.emitRecovered(Date.now() - this.downSince)
    }
    this.retryDelay = RETRY_MIN
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    if (!this.outbox.isEmpty) this.scheduleFlush()
  }

  /**
   * Enters or leaves degraded mode; entering starts the clock on what L1
   * holds, counted from `since`, when the trouble began.
   */
  private updateDegraded(since = Date.now()): void {
    const degraded = this.degraded
    if (degraded === this.reportedDegraded) return
    this.reportedDegraded = degraded
    this.host.setDegraded(degraded)
    if (degraded) {
      this.startDegradedTimer(since)
    } else {
      clearTimeout(this.degradedTimer)
      this.degradedTimer = undefined
    }
  }

  /** `degradedTtl` after the trouble began, entries cached before are no longer trusted. */
  private startDegradedTimer(since: number): void {
    clearTimeout(this.degradedTimer)
    const delay = Math.max(0, since + this.options.degradedTtl - Date.now())
    this.degradedTimer = setTimeout(() => {
      this.degradedTimer = undefined
      if (this.degraded) this.host.markAllStale()
    }, delay)
    this.degradedTimer.unref()
  }

  private tick(): void {
    const now = Date.now()
    const timeout = this.options.heartbeatTimeout
    if (this.state === 'up' && now - this.lastOwnFrameAt > timeout) {
      // Noticed on this tick, but silent since the timeout passed: the degraded clock starts then.
      this.goDown(
        `no heartbeat of our own heard for ${now - this.lastOwnFrameAt}ms`,
        undefined,
        this.lastOwnFrameAt + timeout,
      )
    }
    this.senders.prune(now)
    this.silentSenders = this.senders.countSilent(now, timeout)
    this.updateDegraded(this.senders.silentSince(now, timeout) ?? now)
    this.heartbeatDue = true
    this.scheduleFlush()
  }

  // Receiving

  private receive(bytes: Uint8Array): void {
    let frame: Frame
    try {
      frame = decodeFrame(bytes, { maxFrameBytes: this.options.maxIncomingFrameBytes })
    } catch (error) {
      this.counters.decodeErrors++
      this.host.emitError(
        CacheplaneError.isInstance(error)
          ? error
          : new CacheplaneError('E_BACKPLANE_DECODE', 'A backplane frame could not be decoded.', {
              cause: error,
            }),
      )
      return
    }
    if (this.state === 'closed') return
    this.counters.framesReceived++
    if (frame.cacheName !== this.cacheName) {
      this.counters.decodeErrors++
      this.host.emitError(
        new CacheplaneError(
          'E_BACKPLANE_DECODE',
          `A frame for cache "${frame.cacheName}" arrived on the channel of cache "${this.cacheName}"; it was ignored.`,
        ),
      )
      return
    }
    const now = Date.now()
    if (frame.senderId === this.options.instanceId && frame.epoch === this.epoch) {
      this.counters.ownFramesIgnored++
      this.lastOwnFrameAt = now
      if (this.state === 'down') this.goUp('heartbeatLost')
      return
    }
    const verdict = this.senders.observe(frame.senderId, frame.epoch, frame.sequence, now)
    if (this.silentSenders > 0) {
      this.silentSenders = this.senders.countSilent(now, this.options.heartbeatTimeout)
      this.updateDegraded()
    }
    if (verdict.kind === 'gap') {
      this.counters.gapsDetected++
      this.host.markAllStale()
      this.host.emitMessagesMissed('sequenceGap', frame.senderId, verdict.missed)
    }
    for (const operation of frame.operations) {
      if (operation.kind === 'heartbeat') continue
      this.counters.invalidationsReceived += invalidationCount(operation)
      this.host.applyRemote(operation)
    }
  }

  // Publishing

  private scheduleFlush(): void {
    if (this.flushScheduled || this.state === 'closed') return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      void this.flushNow()
    })
  }

  /** One publish at a time: what arrives meanwhile is coalesced into the next frames. */
  private flushNow(): Promise<void> {
    if (this.publishing !== undefined) {
      return this.publishing.then(() => this.flushNow())
    }
    if (this.writesSettled !== undefined && !this.writesOverdue) {
      return this.waitForWrites(this.writesSettled).then(() => this.flushNow())
    }
    const work = this.collect()
    if (work.length === 0 && !this.heartbeatDue) return Promise.resolve()
    this.heartbeatDue = false
    const operations: Operation[] = work.length === 0 ? [{ kind: 'heartbeat' }] : work
    this.publishing = this.publishAll(operations).finally(() => {
      this.publishing = undefined
    })
    return this.publishing
  }

  /** Outbox first (older), then what was queued since. Outbox is retried only while no retry is pending. */
  private collect(): Operation[] {
    if (this.retryTimer === undefined && !this.outbox.isEmpty) {
      this.outbox.absorb(this.pending)
      this.pending.drain()
      return this.outbox.drain()
    }
    return this.pending.drain()
  }

  private async publishAll(operations: Operation[]): Promise<void> {
    let frames: [Uint8Array, readonly Operation[]][]
    try {
      frames = this.split(operations)
    } catch (error) {
      // Cannot happen with what the cache validates; if it does, a cleared covers whatever it was.
      this.host.emitError(
        new CacheplaneError(
          'E_BACKPLANE_PUBLISH',
          'Invalidations could not be encoded; a cleared is sent instead.',
          {
            cause: error,
          },
        ),
      )
      frames = this.split([{ kind: 'cleared' }])
    }
    const lastSequence = this.sequence
    this.unsentFrames = frames.length
    for (let index = 0; index < frames.length; index++) {
      const [bytes, frameOperations] = frames[index]!
      try {
        const sent = this.transport.publish(bytes)
        this.unsentFrames--
        await sent
        this.counters.framesPublished++
        for (const operation of frameOperations) {
          this.counters.invalidationsPublished += invalidationCount(operation)
        }
        this.retryDelay = RETRY_MIN
      } catch (error) {
        this.counters.publishFailures++
        this.unsentFrames = 0
        // The frames not sent keep no sequence numbers: the outbox sends their operations again.
        // Unless a write has published a later number meanwhile: receivers then count a gap.
        if (this.sequence === lastSequence) this.sequence -= frames.length - index
        for (let rest = index; rest < frames.length; rest++) this.keep(frames[rest]![1])
        this.host.emitError(
          new CacheplaneError(
            'E_BACKPLANE_PUBLISH',
            'A backplane frame could not be published; it is kept in the outbox.',
            {
              cause: error,
            },
          ),
        )
        this.scheduleRetry()
        return
      }
    }
  }

  /** Which source may publish our frames with its writes: asked of the transport once. */
  private throughSource(source: CacheHandle): CacheHandle | null {
    if (this.writeThrough === undefined) {
      let answer = false
      try {
        answer =
          source.setAndPublish !== undefined && this.transport.publishesWith?.(source) === true
      } catch {
        answer = false
      }
      this.writeThrough = answer ? source : null
    }
    return this.writeThrough
  }

  /** Publishes a heartbeat under `sequence`, then lets other publishes go. */
  private async fillSequence(sequence: number): Promise<void> {
    try {
      await this.transport.publish(this.encode([{ kind: 'heartbeat' }], sequence))
      this.counters.framesPublished++
    } catch {
      // Receivers will count a gap and drop their L1: safe, and rare.
      this.counters.publishFailures++
    }
  }

  private keep(operations: readonly Operation[]): void {
    this.outbox.restore(operations.filter((operation) => operation.kind !== 'heartbeat'))
    if (this.outbox.size > this.options.outboxSize) {
      const dropped = this.outbox.size
      this.outbox.drain()
      // Receivers are told to drop everything: the one message that covers every lost one.
      this.outbox.addCleared()
      this.counters.outboxOverflows++
      this.host.emitOutboxOverflowed(dropped)
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.state === 'closed') return
    const delay = this.retryDelay * (0.5 + Math.random())
    this.retryDelay = Math.min(RETRY_MAX, this.retryDelay * 2)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.scheduleFlush()
    }, delay)
    this.retryTimer.unref()
  }

  /** Encodes operations into numbered frames of at most `maxFrameBytes`. */
  private split(operations: readonly Operation[]): [Uint8Array, readonly Operation[]][] {
    const whole = this.encode(operations, this.sequence + 1)
    if (whole.length <= this.options.maxFrameBytes) {
      this.sequence++
      return [[whole, operations]]
    }
    const groups = splitOperations(
      operations,
      this.options.maxFrameBytes,
      (group) =>
        encodedFrameSize({
          senderId: this.options.instanceId,
          epoch: this.epoch,
          sequence: Number.MAX_SAFE_INTEGER,
          cacheName: this.cacheName,
          operations: group,
        }),
      (operation, bytes) =>
        this.host.emitError(
          new CacheplaneError(
            'E_BACKPLANE_PUBLISH',
            `One ${operation.kind} operation encodes to ${bytes} bytes, over maxFrameBytes (${this.options.maxFrameBytes}); a cleared was sent instead.`,
          ),
        ),
    )
    return groups.map((group) => {
      this.sequence++
      return [this.encode(group, this.sequence), group]
    })
  }

  private encode(operations: readonly Operation[], sequence: number): Uint8Array {
    return encodeFrame({
      senderId: this.options.instanceId,
      epoch: this.epoch,
      sequence,
      cacheName: this.cacheName,
      operations,
    })
  }
}

/** Keys count one each; a clear, a region or a tag counts one. */
function invalidationCount(operation: Operation): number {
  switch (operation.kind) {
    case 'changed':
    case 'removed':
    case 'expired':
      return operation.keys.length
    case 'regionCleared':
      return operation.regions.length
    case 'tagsInvalidated':
      return operation.tags.length
    case 'cleared':
      return 1
    case 'heartbeat':
      return 0
  }
}
