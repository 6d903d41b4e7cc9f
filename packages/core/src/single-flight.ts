/**
 * One call per key at a time: callers that ask while a call for their key is
 * running share its promise, result or rejection. @internal
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>()

  run(id: string, call: () => Promise<T>): Promise<T> {
    const current = this.running.get(id)
    if (current !== undefined) return current
    const promise = call().finally(() => {
      this.running.delete(id)
    })
    this.running.set(id, promise)
    return promise
  }

  get size(): number {
    return this.running.size
  }
}
