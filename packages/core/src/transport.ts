import type { CacheHandle } from './handle.js'

/** The state a transport reports. `down` carries why. */
export type TransportStatus =
  | { readonly state: 'up' }
  | { readonly state: 'down'; readonly reason: string; readonly cause?: unknown }

/** What a transport calls back into. */
export interface TransportListener {
  /** A frame arrived on the channel (frames this instance published included). Must not throw. */
  onFrame(frame: Uint8Array): void
  /**
   * The subscription is established (`up`) or lost (`down`). `up` means
   * "subscribed and receiving", not merely "socket connected": after a
   * reconnect, report `up` only once the subscription is back.
   */
  onStatus(status: TransportStatus): void
}

/**
 * The contract between the cache's backplane engine and a message bus. A
 * transport moves bytes only: the protocol (framing, batching, sequence
 * numbers, recovery, validation) lives in core, so every transport gets it.
 *
 * One transport instance serves one cache instance.
 */
export interface BackplaneTransport {
  readonly specificationVersion: 'v1'
  /** A short name for stats and messages, such as `'redis'` or `'memory'`. */
  readonly kind: string
  /**
   * Subscribes to `channel` and starts delivering frames to `listener`.
   * Resolves once the subscription is up. When it rejects, the cache runs
   * degraded and calls `connect` again later with backoff; otherwise it is
   * called once, and the transport restores the subscription by itself after
   * a disconnect, reporting `down` and `up` through `listener.onStatus`.
   */
  connect(channel: string, listener: TransportListener): Promise<void>
  /**
   * Sends one frame to every subscriber of the channel, this instance
   * included. Rejects promptly (never queues without bound) when it cannot be
   * sent; the cache keeps failed invalidations in its outbox.
   */
  publish(frame: Uint8Array): Promise<void>
  /**
   * Optional: whether `handle.setAndPublish` publishes to the server this
   * transport subscribes to, on the channel it was given, so that its
   * subscribers receive the message, and in order: a frame passed to
   * `publish` before a `setAndPublish` call reaches subscribers before that
   * call's message (one connection to one server). Asked once per cache;
   * answer `false` when unsure (a message published elsewhere would be lost).
   */
  publishesWith?(handle: CacheHandle): boolean
  /** Unsubscribes and releases every connection, timer and listener the transport opened. */
  close(): Promise<void>
}
