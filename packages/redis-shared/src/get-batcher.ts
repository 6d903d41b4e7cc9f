import type { RedisExecutor } from './executor.js'
import type { BucketSlots, EntryAddress, KeyLayout } from './key-layout.js'
import { MAX_ITEMS_PER_CALL, runItems, type ScriptItem } from './run-items.js'
import { getScript } from './scripts/entry-scripts.js'

interface PendingGet {
  readonly item: ScriptItem
  readonly resolve: (reply: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * A batch that fills a whole script call goes at once, without waiting for
 * the turn to end: a burst of gets then keeps several calls in flight.
 */
const GETS_PER_BATCH = MAX_ITEMS_PER_CALL

const noArgs: readonly string[] = []

/**
 * Collects the gets issued in one turn of the event loop and sends them as
 * one get script call per hash slot (one call in all on a standalone server),
 * pipelined: 50 concurrent gets cost one round trip, not 50.
 *
 * The flush waits for `setImmediate`, not a microtask: callers that reach
 * `get` after a few awaits of their own still join the same batch. Batches
 * do not wait for one another.
 */
export class GetBatcher {
  readonly #executor: RedisExecutor
  readonly #attached: () => { layout: KeyLayout; slots: BucketSlots }
  #pending: PendingGet[] = []
  #scheduled: ReturnType<typeof setImmediate> | undefined

  constructor(executor: RedisExecutor, attached: () => { layout: KeyLayout; slots: BucketSlots }) {
    this.#executor = executor
    this.#attached = attached
  }

  /** Resolves the raw reply for the entry: a record, `null`, or bytes to reject. */
  get(address: EntryAddress): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({
        item: { bucket: address.bucket, keys: [address.entryKey], args: noArgs },
        resolve,
        reject,
      })
      if (this.#pending.length >= GETS_PER_BATCH) void this.flush()
      else this.#scheduled ??= setImmediate(() => void this.flush())
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
      const { layout, slots } = this.#attached()
      // The get script finds the end of the hash tag in each key from this length.
      const tagLength = Buffer.byteLength(layout.cacheName, 'utf8') + 2
      const outcomes = await runItems(
        this.#executor,
        slots,
        getScript,
        batch.map((pending) => pending.item),
        [String(Date.now()), String(tagLength)],
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
