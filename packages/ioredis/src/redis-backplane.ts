import { type BackplaneTransport, CacheplaneError, type TransportListener } from '@cacheplane/core'
import { slotOf } from '@cacheplane/redis-shared'
import {
  type RedisBackplaneOptions,
  type ResolvedBackplaneOptions,
  resolveBackplaneOptions,
} from './backplane-options.js'
import { isCluster, nodeKey } from './client.js'
import { Subscription } from './subscription.js'

/** Publishes waiting for Redis at one time; more reject at once instead of queueing. */
const maxPendingPublishes = 1_000

/**
 * The backplane over Redis pub/sub with ioredis: publishes through your
 * client, subscribes on a duplicate of it (on a Cluster, of the master that
 * serves the channel), and reports `down` when that subscription is lost and
 * `up` once Redis has acknowledged it again.
 *
 * Publishing never waits in ioredis' offline queue: while your client is not
 * `ready` a publish rejects at once with `E_BACKPLANE_PUBLISH`, and one that
 * gets no answer within `publishTimeout` rejects too (the cache keeps the
 * invalidation in its outbox and retries).
 *
 * @example
 * const cache = createCache({
 *   name: 'products',
 *   handles: [memoryHandle(), redisHandle({ client })],
 *   backplane: redisBackplane({ client }),
 * })
 */
export function redisBackplane(options: RedisBackplaneOptions): BackplaneTransport {
  return new IoredisBackplane(resolveBackplaneOptions(options))
}

class IoredisBackplane implements BackplaneTransport {
  readonly specificationVersion = 'v1'
  readonly kind = 'redis'
  readonly #options: ResolvedBackplaneOptions
  #channel: string | undefined
  #subscription: Subscription | undefined
  #closed = false
  #pendingPublishes = 0
  #rejectConnect: ((error: CacheplaneError) => void) | undefined

  constructor(options: ResolvedBackplaneOptions) {
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
    const { client, mode, subscribeTimeout } = this.#options
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
      this.#subscription = new Subscription(
        { client, channel, mode, subscribeTimeout },
        {
          onFrame: (frame) => {
            if (this.#closed) return
            try {
              listener.onFrame(frame)
            } catch {
              // The contract says onFrame does not throw; a listener that does must not stop delivery.
            }
          },
          onUp: () => {
            listener.onStatus({ state: 'up' })
            if (pending) {
              settle()
              resolve()
            }
          },
          onDown: (reason, cause) => {
            listener.onStatus({ state: 'down', reason, cause })
          },
        },
      )
      this.#subscription.start()
    })
  }

  async publish(frame: Uint8Array): Promise<void> {
    const channel = this.#channel
    if (this.#closed) throw publishError('the backplane is closed')
    if (channel === undefined) throw publishError('the backplane is not connected yet')
    const { client, publishTimeout } = this.#options
    // Not ready means ioredis would queue the command until it reconnects: refuse instead.
    // ('wait' is a lazyConnect client never used yet: the command connects it.)
    if (client.status !== 'ready' && client.status !== 'wait') {
      throw publishError(`the Redis client is ${client.status}`)
    }
    if (this.#pendingPublishes >= maxPendingPublishes) {
      throw publishError(`${maxPendingPublishes} publishes are already waiting for Redis`)
    }
    const payload = Buffer.isBuffer(frame)
      ? frame
      : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
    this.#pendingPublishes++
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const sent = this.#send(channel, payload)
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

  /**
   * A Cluster sends a keyless PUBLISH to any node, and two nodes may forward
   * one publisher's frames out of order: classic publishes go to the master
   * of the channel's slot instead, always the same one.
   */
  #send(channel: string, payload: Buffer): Promise<unknown> {
    const { client, mode } = this.#options
    if (mode === 'sharded') return client.spublish(channel, payload)
    if (!isCluster(client)) return client.publish(channel, payload)
    const owner = client.slots[slotOf(channel)]?.[0]
    const node = client.nodes('master').find((candidate) => nodeKey(candidate) === owner)
    if (node === undefined) {
      return Promise.reject(new Error('the Cluster client knows no master for the channel yet'))
    }
    if (node.status !== 'ready' && node.status !== 'wait') {
      return Promise.reject(new Error(`the connection to ${owner} is ${node.status}`))
    }
    return node.publish(channel, payload)
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
