import {
  type BackplaneTransport,
  CacheplaneError,
  type TransportListener,
  type TransportStatus,
} from '@cacheplane/core'
import { Chaos, type ChaosOptions, resolveChaos } from './chaos.js'
import { DeliveryQueue } from './delivery-queue.js'
import { type BusSubscriber, MemoryBus } from './memory-bus.js'
import {
  describeValue,
  invalidOption,
  optionsObject,
  rejectUnknownOptions,
} from './option-checks.js'

export interface MemoryTransportOptions {
  /** The bus this transport publishes to and hears from: the same one for every cache of a test. */
  bus: MemoryBus
  /**
   * Faults applied to the frames this transport receives (its own included).
   * @default undefined (every frame arrives once, in order, on the next turn of the event loop)
   */
  chaos?: ChaosOptions
}

/** Where a memory transport is: `down` after `disconnect()` until `reconnect()`. */
export type MemoryTransportState = 'idle' | 'connecting' | 'up' | 'down' | 'closed'

/** A {@link BackplaneTransport} with fault controls for tests. */
export interface MemoryTransport extends BackplaneTransport {
  readonly kind: 'memory'
  readonly state: MemoryTransportState
  /** True between `silence()` and `unsilence()` (or `reconnect()`). */
  readonly silenced: boolean
  /** The seed chaos decisions come from, to replay a failing test; `undefined` without chaos. */
  readonly chaosSeed: number | undefined
  /**
   * Drops the subscription: reports `down` with `reason`, loses the frames on
   * their way and every frame sent while down, and makes `publish` reject with
   * `E_BACKPLANE_PUBLISH`. Before `connect`, makes `connect` reject until `reconnect()`.
   */
  disconnect(reason?: string): void
  /** Restores the subscription (and undoes `silence()`); reports `up` when it was down. */
  reconnect(): void
  /**
   * Makes the subscription silently dead: nothing arrives and no status is
   * reported, while `publish` goes on working. Only heartbeats can tell.
   */
  silence(): void
  unsilence(): void
}

/**
 * An in-process backplane transport for tests and single-process use (it is
 * not a way to connect a fleet: frames never leave the process). It moves the
 * encoded bytes as a real transport does: each receiver gets its own copy, on
 * a later turn of the event loop, the publisher included. With `chaos` it
 * drops, duplicates, delays and reorders frames from a seeded generator, and
 * `disconnect`, `reconnect`, `silence` and `unsilence` inject the faults the
 * backplane must recover from.
 *
 * @example
 * const bus = createMemoryBus()
 * const transport = memoryTransport({ bus, chaos: { dropRate: 0.1, seed: 42 } })
 * const cache = createCache({ name: 'products', handles: [memoryHandle(), l2], backplane: transport })
 * transport.disconnect('redis restarted')
 */
export function memoryTransport(options: MemoryTransportOptions): MemoryTransport {
  const given = optionsObject(options, 'options')
  rejectUnknownOptions(given, ['bus', 'chaos'], '')
  if (!(given.bus instanceof MemoryBus)) {
    invalidOption('bus', given.bus, 'a bus from createMemoryBus()')
  }
  return new InProcessTransport(given.bus, resolveChaos(given.chaos))
}

const DEFAULT_DISCONNECT_REASON = 'disconnected by memoryTransport.disconnect()'

class InProcessTransport implements MemoryTransport, BusSubscriber {
  readonly specificationVersion = 'v1'
  readonly kind = 'memory'
  readonly chaosSeed: number | undefined
  readonly #bus: MemoryBus
  readonly #chaos: Chaos | undefined
  readonly #queue: DeliveryQueue
  #state: MemoryTransportState = 'idle'
  #silenced = false
  #downReason = DEFAULT_DISCONNECT_REASON
  #channel: string | undefined
  #listener: TransportListener | undefined

  constructor(bus: MemoryBus, chaos: ReturnType<typeof resolveChaos>) {
    this.#bus = bus
    this.chaosSeed = chaos?.seed
    this.#chaos = chaos === undefined ? undefined : new Chaos(chaos)
    this.#queue = new DeliveryQueue((frame) => this.#deliver(frame), chaos?.delayMax ?? 0)
  }

  get state(): MemoryTransportState {
    return this.#state
  }

  get silenced(): boolean {
    return this.#silenced
  }

  async connect(channel: string, listener: TransportListener): Promise<void> {
    if (this.#state === 'closed') {
      throw new CacheplaneError('E_CLOSED', 'The memory transport is closed.')
    }
    if (typeof channel !== 'string' || channel === '') {
      invalidOption('channel', channel, 'a non-empty string')
    }
    if (typeof listener?.onFrame !== 'function' || typeof listener.onStatus !== 'function') {
      invalidOption('listener', listener, 'an object with onFrame and onStatus functions')
    }
    if (this.#state === 'down' && this.#listener === undefined) {
      throw this.#unreachable()
    }
    if (this.#state !== 'idle') {
      throw new CacheplaneError(
        'E_BACKPLANE_TRANSPORT',
        `The memory transport is ${this.#state} on "${this.#channel}"; connect is called once (again only after it rejected).`,
      )
    }
    this.#state = 'connecting'
    this.#channel = channel
    // Subscribing takes a moment on a real bus too; a test may fault it meanwhile.
    await Promise.resolve()
    if (this.#state !== 'connecting') {
      this.#channel = undefined
      if (this.#state === 'closed') {
        throw new CacheplaneError('E_CLOSED', 'The memory transport was closed while connecting.')
      }
      throw this.#unreachable()
    }
    this.#bus.subscribe(channel, this)
    this.#listener = listener
    this.#setState('up')
  }

  async publish(frame: Uint8Array): Promise<void> {
    if (!(frame instanceof Uint8Array)) {
      throw new CacheplaneError(
        'E_INVALID_VALUE',
        `A frame must be a Uint8Array; got ${describeValue(frame)}.`,
      )
    }
    if (this.#state !== 'up') {
      throw new CacheplaneError('E_BACKPLANE_PUBLISH', this.#publishRefusal())
    }
    this.#bus.publish(this.#channel!, frame, this)
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return
    if (this.#channel !== undefined) this.#bus.unsubscribe(this.#channel, this)
    this.#state = 'closed'
    this.#listener = undefined
    this.#bus.countDropped(this.#queue.discard())
  }

  disconnect(reason = DEFAULT_DISCONNECT_REASON): void {
    if (this.#state === 'closed' || this.#state === 'down') return
    this.#downReason = reason
    if (this.#state === 'idle' || this.#state === 'connecting') {
      this.#state = 'down'
      return
    }
    this.#bus.countDropped(this.#queue.discard())
    this.#setState('down')
  }

  reconnect(): void {
    if (this.#state === 'closed') return
    this.#silenced = false
    if (this.#state !== 'down') return
    if (this.#listener === undefined) {
      this.#state = 'idle'
      return
    }
    this.#setState('up')
  }

  silence(): void {
    if (this.#state === 'closed' || this.#silenced) return
    this.#silenced = true
    this.#bus.countDropped(this.#queue.discard())
  }

  unsilence(): void {
    this.#silenced = false
  }

  /** From the bus: decides this frame's fate and queues its copies. */
  receive(frame: Uint8Array, sender: object): void {
    if (this.#state !== 'up' || this.#silenced) {
      this.#bus.countDropped()
      return
    }
    const chaos = this.#chaos
    if (chaos === undefined) {
      this.#queue.enqueue(sender, copyBytes(frame), 0)
      return
    }
    if (chaos.drops()) {
      this.#bus.countDropped()
      return
    }
    const copies = chaos.duplicates() ? 2 : 1
    if (copies === 2) this.#bus.countDuplicated()
    for (let copy = 0; copy < copies; copy++) {
      if (chaos.reorders()) this.#queue.hold(sender, copyBytes(frame))
      else this.#queue.enqueue(sender, copyBytes(frame), chaos.delay())
    }
  }

  #deliver(frame: Uint8Array): void {
    const listener = this.#listener
    if (this.#state !== 'up' || this.#silenced || listener === undefined) {
      this.#bus.countDropped()
      return
    }
    this.#bus.countDelivered()
    try {
      listener.onFrame(frame)
    } catch (error) {
      // onFrame must not throw. Surface the bug as an uncaught error without
      // stalling the frames queued behind this one.
      queueMicrotask(() => {
        throw error
      })
    }
  }

  #setState(state: 'up' | 'down'): void {
    this.#state = state
    const status: TransportStatus =
      state === 'up' ? { state: 'up' } : { state: 'down', reason: this.#downReason }
    this.#listener?.onStatus(status)
  }

  #unreachable(): CacheplaneError {
    return new CacheplaneError(
      'E_BACKPLANE_TRANSPORT',
      `The memory transport cannot subscribe: ${this.#downReason}.`,
    )
  }

  #publishRefusal(): string {
    switch (this.#state) {
      case 'closed':
        return 'Cannot publish: the memory transport is closed.'
      case 'down':
        return `Cannot publish: the memory transport is down (${this.#downReason}).`
      default:
        return `Cannot publish: the memory transport is ${this.#state}, not connected.`
    }
  }
}

/**
 * A fresh copy of the bytes. Not `frame.slice()`: on a Node.js `Buffer` (which
 * encoders often return) that is a view sharing the publisher's memory.
 */
function copyBytes(frame: Uint8Array): Uint8Array {
  return new Uint8Array(frame)
}
