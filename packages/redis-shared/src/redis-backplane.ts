import {
  type BackplaneTransport,
  type CacheHandle,
  CacheplaneError,
  type TransportListener,
} from '@cacheplane/core'
import type { ResolvedRedisBackplaneOptions } from './backplane-options.js'
import { connectionOf } from './redis-handle.js'

/** Publishes waiting for Redis at one time; more reject at once instead of queueing. */
export const MAX_PENDING_PUBLISHES = 1_000

/** What a subscription reports to the backplane. */
export interface SubscriptionListener {
  onFrame(frame: Uint8Array): void
  /** The subscription is acknowledged by Redis (first time, or again after a loss). */
  onUp(): void
  /** The subscription is lost; `onUp` follows once it is back. */
  onDown(reason: string, cause: unknown): void
}

/** A subscription that re-establishes itself until closed. */
export interface BackplaneSubscription {
  /** Unsubscribes, closes the connection it made and stops retrying. */
  close(): Promise<void>
}

/**
 * What the shared backplane needs from a client library: an adapter
 * implements it over its client (see `@cacheplane/ioredis` and
 * `@cacheplane/node-redis`).
 */
export interface BackplaneDriver {
  /**
   * Why a publish cannot go out now (the client is reconnecting, closed, ...),
   * or `undefined` when it can. A publish refused here rejects at once,
   * instead of waiting in the client's offline queue.
   */
  publishBlocker(channel: string): string | undefined
  /**
   * Sends one frame to the channel. `timeout` is the publish timeout: the
   * backplane rejects after it anyway, but a client that can drop the command
   * from its queue should.
   */
  publish(channel: string, payload: Buffer, timeout: number): Promise<unknown>
  /**
   * The client object, when frames go out with a classic `PUBLISH` over one
   * standalone connection (omit it for a Cluster or sharded pub/sub). A Redis
   * handle over the same object may then publish from its write script.
   */
  readonly connection?: object
  /** Starts subscribing to `channel` on a connection of the backplane's own. */
  subscribe(channel: string, listener: SubscriptionListener): BackplaneSubscription
}

/**
 * The Redis backplane over any client, through its {@link BackplaneDriver}:
 * `connect` resolves on the first acknowledged subscription (or rejects after
 * `subscribeTimeout` and keeps trying), status follows the subscription, and
 * publishing fails fast (client not ready, `publishTimeout`, more than
 * {@link MAX_PENDING_PUBLISHES} waiting) so that the cache's outbox retries.
 */
export function createRedisBackplane(
  driver: BackplaneDriver,
  options: ResolvedRedisBackplaneOptions,
): BackplaneTransport {
  return new RedisBackplane(driver, options)
}

class RedisBackplane implements BackplaneTransport {
  readonly specificationVersion = 'v1'
  readonly kind = 'redis'
  readonly #driver: BackplaneDriver
  readonly #options: ResolvedRedisBackplaneOptions
  #channel: string | undefined
  #subscription: BackplaneSubscription | undefined
  #closed = false
  #pendingPublishes = 0
  #rejectConnect: ((error: CacheplaneError) => void) | undefined

  constructor(driver: BackplaneDriver, options: ResolvedRedisBackplaneOptions) {
    this.#driver = driver
    this.#options = options
  }

  connect(channel: string, listener: TransportListener): Promise<void> {
    if (this.#closed) {
      return Promise.reject(transportError('connect was called after close'))
    }
    if (this.#subscription !== undefined) {
      return Promise.reject(transportError('connect was called twice (one transport per cache)'))
    }
    if (typeof channel !== 'string' || channel === '') {
      return Promise.reject(transportError('connect needs a channel name'))
    }
    this.#channel = channel
    const { subscribeTimeout } = this.#options
    return new Promise<void>((resolve, reject) => {
      let pending = true
      const settle = () => {
        pending = false
        clearTimeout(timer)
        this.#rejectConnect = undefined
      }
      const timer = setTimeout(() => {
        settle()
        reject(
          transportError(
            `not subscribed to "${channel}" within ${subscribeTimeout}ms; still trying`,
          ),
        )
      }, subscribeTimeout)
      this.#rejectConnect = (error) => {
        settle()
        reject(error)
      }
      this.#subscription = this.#driver.subscribe(channel, {
        onFrame: (frame) => {
          if (this.#closed) return
          try {
            listener.onFrame(frame)
          } catch {
            // The contract says onFrame does not throw; a listener that does must not stop delivery.
          }
        },
        onUp: () => {
          if (this.#closed) return
          listener.onStatus({ state: 'up' })
          if (pending) {
            settle()
            resolve()
          }
        },
        onDown: (reason, cause) => {
          if (this.#closed) return
          listener.onStatus({ state: 'down', reason, cause })
        },
      })
    })
  }

  /** A Redis handle over the same standalone client publishes where we subscribe. */
  publishesWith(handle: CacheHandle): boolean {
    const connection = this.#driver.connection
    return connection !== undefined && connectionOf(handle) === connection
  }

  async publish(frame: Uint8Array): Promise<void> {
    const channel = this.#channel
    if (this.#closed) throw publishError('the backplane is closed')
    if (channel === undefined) throw publishError('the backplane is not connected yet')
    const blocker = this.#driver.publishBlocker(channel)
    if (blocker !== undefined) throw publishError(blocker)
    if (this.#pendingPublishes >= MAX_PENDING_PUBLISHES) {
      throw publishError(`${MAX_PENDING_PUBLISHES} publishes are already waiting for Redis`)
    }
    const { publishTimeout } = this.#options
    const payload = Buffer.isBuffer(frame)
      ? frame
      : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
    this.#pendingPublishes++
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const sent = this.#driver.publish(channel, payload, publishTimeout)
      sent.catch(() => {})
      await Promise.race([
        sent,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${publishTimeout}ms`)),
            publishTimeout,
          )
        }),
      ])
    } catch (error) {
      throw publishError(error instanceof Error ? error.message : String(error), error)
    } finally {
      clearTimeout(timer)
      this.#pendingPublishes--
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#rejectConnect?.(transportError('the backplane was closed before it subscribed'))
    await this.#subscription?.close()
  }
}

function publishError(reason: string, cause?: unknown): CacheplaneError {
  return new CacheplaneError('E_BACKPLANE_PUBLISH', `Redis publish failed: ${reason}.`, { cause })
}

function transportError(reason: string): CacheplaneError {
  return new CacheplaneError('E_BACKPLANE_TRANSPORT', `Redis backplane: ${reason}.`)
}
