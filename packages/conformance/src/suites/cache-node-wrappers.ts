import {
  type BackplaneTransport,
  type CacheEntry,
  type CacheHandle,
  CacheplaneError,
  type TransportListener,
  type TransportStatus,
} from '@cacheplane/core'

/**
 * Holds L2 reads of one node after the store answered and before the cache
 * sees the answer: the window of the load/invalidate race (clause C10).
 */
export class ReadGate {
  #held = false
  #waiting: (() => void)[] = []

  get waiting(): number {
    return this.#waiting.length
  }

  hold(): void {
    this.#held = true
  }

  release(): void {
    this.#held = false
    for (const resume of this.#waiting.splice(0)) resume()
  }

  /** Passes `result` through, after the gate opens when it is held. */
  pass<T>(result: T | Promise<T>): T | Promise<T> {
    if (!this.#held) return result
    return Promise.resolve(result).then(
      (value) => new Promise<T>((resolve) => this.#waiting.push(() => resolve(value))),
    )
  }
}

/** The L2 handle with its reads going through `gate`; every other member is the handle's own. */
export function gatedHandle(handle: CacheHandle, gate: ReadGate): CacheHandle {
  return new Proxy(handle, {
    get(target, property) {
      if (property === 'get') {
        return (key: string, region: string | undefined) => gate.pass(target.get(key, region))
      }
      if (property === 'getMany' && target.getMany !== undefined) {
        return (keys: readonly string[], region: string | undefined) =>
          gate.pass<(CacheEntry | undefined)[]>(target.getMany!(keys, region))
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * A transport the suite can cut without the adapter's help: while cut,
 * frames in both directions are lost, publish rejects and the cache is told
 * `down`; a restore reports the underlying state again.
 */
export class CuttableTransport implements BackplaneTransport {
  readonly specificationVersion = 'v1'
  readonly kind: string
  #cut = false
  #listener: TransportListener | undefined
  #lastStatus: TransportStatus = { state: 'up' }

  constructor(private readonly inner: BackplaneTransport) {
    this.kind = inner.kind
  }

  connect(channel: string, listener: TransportListener): Promise<void> {
    this.#listener = listener
    return this.inner.connect(channel, {
      onFrame: (frame) => {
        if (!this.#cut) listener.onFrame(frame)
      },
      onStatus: (status) => {
        this.#lastStatus = status
        if (!this.#cut) listener.onStatus(status)
      },
    })
  }

  publish(frame: Uint8Array): Promise<void> {
    if (this.#cut) {
      return Promise.reject(
        new CacheplaneError('E_BACKPLANE_PUBLISH', 'The conformance suite cut this backplane.'),
      )
    }
    return this.inner.publish(frame)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  cut(): void {
    if (this.#cut) return
    this.#cut = true
    this.#listener?.onStatus({ state: 'down', reason: 'cut by the conformance suite' })
  }

  restore(): void {
    if (!this.#cut) return
    this.#cut = false
    this.#listener?.onStatus(this.#lastStatus)
  }
}
