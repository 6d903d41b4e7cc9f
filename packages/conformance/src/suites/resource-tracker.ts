import { createHook } from 'node:async_hooks'

interface Tracked {
  readonly type: string
  readonly resource: { hasRef?: () => boolean }
  readonly stack: string
}

/**
 * Records the handles and timers created while it records, so that a test
 * can name those still keeping the process alive afterwards, with the stack
 * that created each. Counting `process.getActiveResourcesInfo()` instead
 * would let a leak hide behind an unrelated timer that happens to end.
 */
export class ResourceTracker {
  readonly #live = new Map<number, Tracked>()
  #recording = true
  readonly #hook = createHook({
    init: (id, type, _trigger, resource) => {
      if (!this.#recording || type === 'PROMISE') return
      const stack = (new Error().stack ?? '')
        .split('\n')
        .slice(1)
        .filter((line) => !line.includes('node:internal'))
        .slice(0, 6)
        .join('\n')
      this.#live.set(id, { type, resource: resource as Tracked['resource'], stack })
    },
    destroy: (id) => {
      this.#live.delete(id)
    },
  })

  constructor() {
    this.#hook.enable()
  }

  /** Stops recording new resources; destroys are still followed until {@link dispose}. */
  stopRecording(): void {
    this.#recording = false
  }

  /** Resources from the recording that still hold a reference on the event loop. */
  keepingAlive(): string[] {
    const alive: string[] = []
    for (const tracked of this.#live.values()) {
      if (typeof tracked.resource.hasRef === 'function' && tracked.resource.hasRef()) {
        alive.push(`${tracked.type} created at\n${tracked.stack}`)
      }
    }
    return alive
  }

  dispose(): void {
    this.#hook.disable()
    this.#live.clear()
  }
}
