import { type BackplaneTransport, CacheplaneError, type TransportListener } from '@cacheplane/core'

/** Channels and their subscribers: what several reference transports share. */
export class ReferenceBus {
  readonly channels = new Map<string, Set<ReferenceTransport>>()
}

/**
 * The smallest transport that keeps the v1 contract, to test the suites
 * themselves: frames are copied and delivered on a later turn, in order.
 */
export class ReferenceTransport implements BackplaneTransport {
  readonly specificationVersion = 'v1'
  readonly kind = 'reference'
  #channel: string | undefined
  #listener: TransportListener | undefined
  #state: 'idle' | 'up' | 'down' | 'closed' = 'idle'

  constructor(private readonly bus: ReferenceBus) {}

  async connect(channel: string, listener: TransportListener): Promise<void> {
    if (this.#state !== 'idle')
      throw new CacheplaneError('E_BACKPLANE_TRANSPORT', 'connect is called once')
    this.#channel = channel
    this.#listener = listener
    const subscribers = this.bus.channels.get(channel) ?? new Set()
    this.bus.channels.set(channel, subscribers)
    subscribers.add(this)
    this.#state = 'up'
    listener.onStatus({ state: 'up' })
  }

  async publish(frame: Uint8Array): Promise<void> {
    if (this.#state !== 'up')
      throw new CacheplaneError('E_BACKPLANE_PUBLISH', `The transport is ${this.#state}.`)
    for (const subscriber of this.bus.channels.get(this.#channel!) ?? []) {
      const copy = Uint8Array.from(frame)
      setImmediate(() => subscriber.#receive(copy))
    }
  }

  async close(): Promise<void> {
    this.#state = 'closed'
    if (this.#channel !== undefined) this.bus.channels.get(this.#channel)?.delete(this)
    this.#listener = undefined
  }

  cut(): void {
    if (this.#state !== 'up') return
    this.#state = 'down'
    this.#listener?.onStatus({ state: 'down', reason: 'cut by the test' })
  }

  restore(): void {
    if (this.#state !== 'down') return
    this.#state = 'up'
    this.#listener?.onStatus({ state: 'up' })
  }

  #receive(frame: Uint8Array): void {
    if (this.#state === 'up') this.#listener?.onFrame(frame)
  }
}
