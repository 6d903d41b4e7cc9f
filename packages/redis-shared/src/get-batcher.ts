import type { RedisExecutor } from './executor.js'
import type { BucketSlots, EntryAddress } from './key-layout.js'
import { runItems, type ScriptItem } from './run-items.js'
import { getScript } from './scripts/entry-scripts.js'

interface PendingGet {
  readonly item: ScriptItem
  readonly resolve: (reply: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * Collects the gets issued in one turn of the event loop and sends them as
 * one get script call per hash slot (one call in all on a standalone server),
 * pipelined: 50 concurrent gets cost one round trip, not 50.
 *
 * The flush waits for `setImmediate`, not a microtask: callers that reach
 * `get` after a few awaits of their own still join the same batch.
 */
export class GetBatcher {
  readonly #executor: RedisExecutor
  readonly #slots: () => BucketSlots
  #pending: PendingGet[] = []
  #scheduled: ReturnType<typeof setImmediate> | undefined

  constructor(executor: RedisExecutor, slots: () => BucketSlots) {
    this.#executor = executor
    this.#slots = slots
  }

  /** Resolves the raw reply for the entry: a record, `null`, or bytes to reject. */
  get(address: EntryAddress): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({
        item: {
          bucket: address.bucket,
          keys: [address.entryKey, address.bucketMetaKey],
          args: [address.regionPart],
        },
        resolve,
        reject,
      })
      this.#scheduled ??= setImmediate(() => void this.flush())
    })
  }

  /** Sends what is queued now (also called by `close`). */
  async flush(): Promise<void> {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled)
    this.#scheduled = undefined
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    try {
      const outcomes = await runItems(
        this.#executor,
        this.#slots(),
        getScript,
        batch.map((pending) => pending.item),
        [String(Date.now())],
      )
      batch.forEach((pending, index) => {
        const outcome = outcomes[index]
        if (outcome?.status === 'fulfilled') pending.resolve(outcome.value)
        else pending.reject(outcome?.reason)
      })
    } catch (error) {
      for (const pending of batch) pending.reject(error)
    }
  }
}
