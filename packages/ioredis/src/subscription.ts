import {
  type BackplaneMode,
  type BackplaneSubscription,
  type SubscriptionListener,
  slotOf,
  withTimeout,
} from '@cacheplane/redis-shared'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import { type IoredisClient, isCluster, keyPrefixOf, nodeKey } from './client.js'

export interface SubscriptionOptions {
  readonly client: IoredisClient
  readonly channel: string
  readonly mode: BackplaneMode
  readonly subscribeTimeout: number
}

const maxBackoff = 2_000

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * One subscriber connection that this backplane owns, re-established until
 * closed. "Up" means Redis acknowledged SUBSCRIBE (or SSUBSCRIBE) on the
 * current connection, never merely that a socket reconnected: ioredis'
 * auto-resubscribe is off, and the subscription is made again on every
 * `ready`.
 *
 * Standalone: a `duplicate()` of your client, reconnected by ioredis with your
 * retry settings. Cluster: a `duplicate()` of the connection of one master
 * (for sharded mode the one that owns the channel's slot), without reconnects
 * of its own: when it ends, the master is looked up again, so a failover or a
 * moved slot leads to the new owner. The Cluster client needs no
 * `shardedSubscribers` for this.
 */
export class Subscription implements BackplaneSubscription {
  readonly #options: SubscriptionOptions
  readonly #listener: SubscriptionListener
  #connection: Redis | undefined
  /** Grows with every connection, so that events of an abandoned one are ignored. */
  #generation = 0
  #up = false
  #closed = false
  #failures = 0
  #lastError: unknown
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #subscribeTimer: ReturnType<typeof setTimeout> | undefined

  constructor(options: SubscriptionOptions, listener: SubscriptionListener) {
    this.#options = options
    this.#listener = listener
  }

  start(): void {
    this.#open()
  }

  /** Unsubscribes, disconnects the connection it made and stops retrying. */
  async close(): Promise<void> {
    this.#closed = true
    this.#generation++
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#subscribeTimer)
    const connection = this.#connection
    this.#connection = undefined
    if (connection === undefined) return
    if (connection.status === 'ready') {
      const unsubscribe =
        this.#options.mode === 'sharded'
          ? connection.sunsubscribe(this.#options.channel)
          : connection.unsubscribe(this.#options.channel)
      await withTimeout(unsubscribe, 500).catch(() => {})
    }
    const ended = new Promise<void>((resolve) => {
      if (connection.status === 'end') resolve()
      else connection.once('end', () => resolve())
    })
    connection.disconnect()
    await withTimeout(ended, 1_000).catch(() => {})
    connection.removeAllListeners()
    // A late socket error of a closed connection must not become an unhandled 'error' event.
    connection.on('error', () => {})
  }

  #open(): void {
    if (this.#closed) return
    let connection: Redis | undefined
    try {
      connection = this.#duplicate()
    } catch (error) {
      this.#lastError = error
    }
    if (connection === undefined) {
      this.#lost('no Redis node to subscribe on', this.#lastError)
      this.#reopenLater()
      return
    }
    const generation = ++this.#generation
    const current = () => generation === this.#generation
    this.#connection = connection
    const opened = connection
    opened.on('error', (error: unknown) => {
      if (current()) this.#lastError = error
    })
    opened.on('ready', () => {
      if (current()) this.#subscribe(opened, current)
    })
    opened.on('close', () => {
      if (current()) this.#lost('the subscriber connection closed', this.#lastError)
    })
    opened.on('end', () => {
      if (!current()) return
      this.#connection = undefined
      this.#lost('the subscriber connection ended', this.#lastError)
      this.#reopenLater()
    })
    // Redis dropped a sharded subscription because its slot moved: find the new owner.
    opened.on('moved', () => {
      if (!current()) return
      this.#lost('the channel moved to another shard', undefined)
      opened.disconnect()
    })
    const messageEvent = this.#options.mode === 'sharded' ? 'smessageBuffer' : 'messageBuffer'
    opened.on(messageEvent, (_channel: Buffer, frame: Buffer) => {
      if (current()) this.#listener.onFrame(frame)
    })
    opened.connect().catch(() => {
      // Reported through 'close' and 'end'.
    })
  }

  #subscribe(connection: Redis, current: () => boolean): void {
    const { channel, mode, subscribeTimeout } = this.#options
    const subscribed =
      mode === 'sharded' ? connection.ssubscribe(channel) : connection.subscribe(channel)
    clearTimeout(this.#subscribeTimer)
    const timedOut = new Promise<never>((_, reject) => {
      this.#subscribeTimer = setTimeout(
        () => reject(new Error(`no acknowledgement within ${subscribeTimeout}ms`)),
        subscribeTimeout,
      )
    })
    Promise.race([subscribed, timedOut]).then(
      () => {
        clearTimeout(this.#subscribeTimer)
        if (!current()) return
        this.#failures = 0
        if (!this.#up) {
          this.#up = true
          this.#listener.onUp()
        }
      },
      (error: unknown) => {
        clearTimeout(this.#subscribeTimer)
        if (!current()) return
        this.#lost(`subscribing failed: ${message(error)}`, error)
        // Start over on a new connection (for a Cluster, to the channel's current owner).
        connection.disconnect()
      },
    )
    subscribed.catch(() => {})
  }

  #lost(reason: string, cause: unknown): void {
    if (this.#closed || !this.#up) return
    this.#up = false
    this.#listener.onDown(reason, cause)
  }

  #reopenLater(): void {
    if (this.#closed) return
    const delay = Math.min(50 * 2 ** this.#failures, maxBackoff)
    this.#failures++
    const { client } = this.#options
    // After a failover the Cluster client may still name the old master.
    if (isCluster(client) && this.#failures > 1) client.refreshSlotsCache()
    this.#retryTimer = setTimeout(() => this.#open(), delay)
  }

  #duplicate(): Redis | undefined {
    const { client, channel, mode } = this.#options
    const overrides: Partial<RedisOptions> = {
      lazyConnect: true,
      autoResubscribe: false,
      enableOfflineQueue: false,
    }
    if (!isCluster(client)) return client.duplicate(overrides)
    const node = this.#clusterNode(client, mode, channel)
    return node?.duplicate({ ...overrides, retryStrategy: () => null })
  }

  #clusterNode(cluster: Cluster, mode: BackplaneMode, channel: string): Redis | undefined {
    const masters = cluster.nodes('master')
    if (mode === 'pubsub') return masters[this.#failures % Math.max(1, masters.length)]
    const owner = cluster.slots[slotOf(keyPrefixOf(cluster) + channel)]?.[0]
    return masters.find((node) => nodeKey(node) === owner)
  }
}
