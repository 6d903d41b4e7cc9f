import {
  type BackplaneMode,
  type BackplaneSubscription,
  type SubscriptionListener,
  slotOf,
  withTimeout,
} from '@cacheplane/redis-shared'
import {
  isCluster,
  type NodeRedisClient,
  type NodeRedisCluster,
  type NodeRedisConnection,
  type NodeRedisStandalone,
} from './client.js'

export interface SubscriptionOptions {
  readonly client: NodeRedisClient
  readonly channel: string
  readonly mode: BackplaneMode
  readonly subscribeTimeout: number
}

interface Address {
  readonly host: string
  readonly port: number
}

const maxBackoff = 2_000

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The node named by a `MOVED <slot> <host>:<port>` reply, if `error` is one. */
function movedTarget(error: unknown): Address | undefined {
  const match = /^MOVED \d+ (.+):(\d+)$/.exec(message(error))
  return match === null ? undefined : { host: match[1]!, port: Number(match[2]) }
}

function sameAddress(one: Address, other: Address | undefined): boolean {
  return other !== undefined && one.host === other.host && one.port === other.port
}

/**
 * One subscriber connection that this backplane owns, re-established until
 * closed. "Up" means Redis acknowledged SUBSCRIBE (or SSUBSCRIBE) on the
 * current connection, never merely that a socket connected.
 *
 * The connection is a `duplicate()` (of your client, or on a Cluster of a
 * node's client pointed at the master that serves the channel) with node-redis'
 * own reconnects off: when it fails, it is dropped and a new one is made with
 * a backoff of 50 ms doubling to 2 s, each attempt bounded by
 * `subscribeTimeout`. On a Cluster each attempt looks for the channel's
 * master again, and follows a `MOVED` reply to it, so a failover or a moved
 * slot leads to the new owner without waiting for the Cluster client to
 * refresh its slot map.
 */
export class Subscription implements BackplaneSubscription {
  readonly #options: SubscriptionOptions
  readonly #listener: SubscriptionListener
  #connection: NodeRedisConnection | undefined
  /** Grows with every connection, so that events of an abandoned one are ignored. */
  #generation = 0
  #up = false
  #closed = false
  #failures = 0
  #redirect: Address | undefined
  /** The Cluster node of the current attempt. */
  #target: Address | undefined
  #retryTimer: ReturnType<typeof setTimeout> | undefined

  constructor(options: SubscriptionOptions, listener: SubscriptionListener) {
    this.#options = options
    this.#listener = listener
  }

  start(): void {
    this.#open()
  }

  /** Unsubscribes, closes the connection it made and stops retrying. */
  async close(): Promise<void> {
    this.#closed = true
    this.#generation++
    clearTimeout(this.#retryTimer)
    const connection = this.#connection
    this.#connection = undefined
    if (connection === undefined) return
    if (connection.isReady) {
      const { channel, mode } = this.#options
      const unsubscribe =
        mode === 'sharded' ? connection.sUnsubscribe(channel) : connection.unsubscribe(channel)
      await withTimeout(unsubscribe, 500).catch(() => {})
    }
    discard(connection)
  }

  #open(): void {
    if (this.#closed) return
    const generation = ++this.#generation
    let connection: NodeRedisConnection
    try {
      connection = this.#duplicate()
    } catch (error) {
      this.#fail(generation, `no Redis node to subscribe on: ${message(error)}`, error)
      return
    }
    this.#connection = connection
    const current = () => generation === this.#generation
    connection.on('error', (error) => {
      // Without reconnects of its own, an error that leaves the connection not ready ends it.
      if (current() && !connection.isReady) {
        this.#fail(generation, `the subscriber connection closed: ${message(error)}`, error)
      }
    })
    connection.on('end', () => this.#fail(generation, 'the subscriber connection ended', undefined))
    // Redis dropped a sharded subscription because its slot moved: find the new owner.
    connection.on('sharded-channel-moved', () =>
      this.#fail(generation, 'the channel moved to another shard', undefined),
    )
    const { channel, mode, subscribeTimeout } = this.#options
    const onMessage = (frame: Buffer) => {
      if (current()) this.#listener.onFrame(frame)
    }
    const subscribed = connection.connect().then(() => {
      if (!current()) return
      return mode === 'sharded'
        ? connection.sSubscribe(channel, onMessage, true)
        : connection.subscribe(channel, onMessage, true)
    })
    withTimeout(
      subscribed,
      subscribeTimeout,
      `no acknowledgement within ${subscribeTimeout}ms`,
    ).then(
      () => {
        if (!current()) return
        this.#failures = 0
        this.#redirect = undefined
        if (!this.#up) {
          this.#up = true
          this.#listener.onUp()
        }
      },
      (error: unknown) => {
        if (!current()) return
        const moved = movedTarget(error)
        this.#redirect = moved
        // Told where the channel lives now: go there at once, without a backoff.
        const redirected = moved !== undefined && !sameAddress(moved, this.#target)
        this.#fail(generation, `subscribing failed: ${message(error)}`, error, redirected)
      },
    )
  }

  /** Drops the connection of `generation` (once) and schedules a new one. */
  #fail(generation: number, reason: string, cause: unknown, immediately = false): void {
    if (generation !== this.#generation || this.#closed) return
    this.#generation++
    const connection = this.#connection
    this.#connection = undefined
    if (connection !== undefined) discard(connection)
    if (this.#up) {
      this.#up = false
      this.#listener.onDown(reason, cause)
    }
    const delay = immediately ? 0 : Math.min(50 * 2 ** this.#failures, maxBackoff)
    if (!immediately) this.#failures++
    this.#retryTimer = setTimeout(() => this.#open(), delay)
  }

  #duplicate(): NodeRedisConnection {
    const { client } = this.#options
    if (!isCluster(client)) return duplicateOf(client, undefined)
    const template = templateOf(client)
    if (template === undefined) {
      throw new Error('the Cluster client has no node connection to copy settings from')
    }
    // A redirect is followed once: the node it names may be the one that just died.
    const target = this.#redirect ?? this.#clusterTarget(client)
    this.#redirect = undefined
    this.#target = target
    return duplicateOf(template, target)
  }

  /**
   * Sharded: the channel's master as the Cluster client knows it, and every
   * other attempt another master, which answers `MOVED` with the real owner
   * when the Cluster client's view is stale (after a failover). Classic: any
   * master, in turn, since classic messages reach every node.
   */
  #clusterTarget(cluster: NodeRedisCluster): Address {
    const masters = cluster.masters
    if (this.#options.mode === 'pubsub') {
      const next = masters[this.#failures % Math.max(1, masters.length)]
      if (next === undefined) throw new Error('the Cluster client knows no master yet')
      return next
    }
    const owner = cluster.slots[slotOf(this.#options.channel)]?.master
    const others = masters.filter((node) => node.address !== owner?.address)
    const other = others[(this.#failures >> 1) % Math.max(1, others.length)]
    const target = this.#failures % 2 === 1 ? (other ?? owner) : (owner ?? other)
    if (target === undefined) throw new Error('the Cluster client knows no master yet')
    return target
  }
}

/** A node client to copy connection settings (auth, TLS, RESP) from, preferably a ready one. */
function templateOf(cluster: NodeRedisCluster): NodeRedisStandalone | undefined {
  let found: NodeRedisStandalone | undefined
  for (const node of cluster.masters) {
    if (node.client?.isReady) return node.client
    found ??= node.client
  }
  return found
}

function duplicateOf(
  client: NodeRedisStandalone,
  address: Address | undefined,
): NodeRedisConnection {
  const socket: Record<string, unknown> = {
    ...(client.options?.socket as Record<string, unknown> | undefined),
    reconnectStrategy: false,
    // A subscriber is silent between messages: an idle timeout would cut it again and again.
    socketTimeout: undefined,
  }
  if (address !== undefined) {
    socket.host = address.host
    socket.port = address.port
  }
  // No client-side cache on a subscriber: it would track keys nobody reads here.
  return client.duplicate({ socket, clientSideCache: undefined })
}

/** Closes a connection for good; a late error of it must not become an unhandled 'error' event. */
function discard(connection: NodeRedisConnection): void {
  connection.removeAllListeners()
  connection.on('error', () => {})
  try {
    connection.destroy()
  } catch {
    // Already closed (node-redis 5 throws then).
  }
}
