/** Counters of everything that crossed a bus. */
export interface MemoryBusStats {
  /** `publish` calls that reached the bus. */
  readonly framesPublished: number
  /** Frames handed to a listener's `onFrame` (each copy of a duplicate counts). */
  readonly framesDelivered: number
  /**
   * Frames a subscriber did not receive: lost to `chaos.dropRate`, or because
   * the receiving transport was disconnected, silenced or closed meanwhile.
   */
  readonly framesDropped: number
  /** Extra copies made by `chaos.duplicateRate`. */
  readonly framesDuplicated: number
}

/** What the bus hands frames to: a connected memory transport. @internal */
export interface BusSubscriber {
  /** Takes a frame published on the subscriber's channel; must not deliver it synchronously. */
  receive(frame: Uint8Array, sender: object): void
}

/**
 * The in-process message bus that memory transports share: one per test (or
 * per process). Transports connected to the same channel of one bus hear each
 * other, themselves included; different buses never meet.
 */
export class MemoryBus {
  readonly #channels = new Map<string, Set<BusSubscriber>>()
  #framesPublished = 0
  #framesDelivered = 0
  #framesDropped = 0
  #framesDuplicated = 0

  stats(): MemoryBusStats {
    return {
      framesPublished: this.#framesPublished,
      framesDelivered: this.#framesDelivered,
      framesDropped: this.#framesDropped,
      framesDuplicated: this.#framesDuplicated,
    }
  }

  /** Transports subscribed to `channel` right now. */
  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0
  }

  /** @internal */
  subscribe(channel: string, subscriber: BusSubscriber): void {
    let subscribers = this.#channels.get(channel)
    if (subscribers === undefined) {
      subscribers = new Set()
      this.#channels.set(channel, subscribers)
    }
    subscribers.add(subscriber)
  }

  /** @internal */
  unsubscribe(channel: string, subscriber: BusSubscriber): void {
    const subscribers = this.#channels.get(channel)
    if (subscribers === undefined) return
    subscribers.delete(subscriber)
    if (subscribers.size === 0) this.#channels.delete(channel)
  }

  /** Hands the frame to every subscriber of the channel, the sender included. @internal */
  publish(channel: string, frame: Uint8Array, sender: object): void {
    this.#framesPublished++
    const subscribers = this.#channels.get(channel)
    if (subscribers === undefined) return
    for (const subscriber of subscribers) subscriber.receive(frame, sender)
  }

  /** @internal */
  countDelivered(): void {
    this.#framesDelivered++
  }

  /** @internal */
  countDropped(frames = 1): void {
    this.#framesDropped += frames
  }

  /** @internal */
  countDuplicated(): void {
    this.#framesDuplicated++
  }
}

/**
 * Creates a bus for {@link memoryTransport}s: give every transport of one test
 * the same bus.
 *
 * @example
 * const bus = createMemoryBus()
 * const a = createCache({ name: 'c', handles: [memoryHandle(), l2], backplane: memoryTransport({ bus }) })
 * const b = createCache({ name: 'c', handles: [memoryHandle(), l2], backplane: memoryTransport({ bus }) })
 */
export function createMemoryBus(): MemoryBus {
  return new MemoryBus()
}
