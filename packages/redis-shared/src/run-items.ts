import { CacheplaneError } from '@cacheplane/core'
import type { RedisExecutor, ScriptCall } from './executor.js'
import type { BucketSlots } from './key-layout.js'
import type { LuaScript } from './scripts/lua-script.js'

/** Items per script call: large enough to amortise a round trip, small enough not to stall Redis. */
export const MAX_ITEMS_PER_CALL = 256

/** One item of a multi-item script call. */
export interface ScriptItem {
  readonly bucket: number
  readonly keys: readonly string[]
  readonly args: readonly (string | Uint8Array)[]
}

/** A Redis failure as the cache reports it. */
export function unavailable(operation: string, cause: unknown): CacheplaneError {
  if (CacheplaneError.isInstance(cause)) return cause
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new CacheplaneError('E_L2_UNAVAILABLE', `Redis ${operation} failed: ${reason}`, { cause })
}

/**
 * Groups items into calls of `script` (one per hash slot on a Cluster, else
 * by chunks), runs them in one `executor.run` and hands back one outcome per
 * item, in order: its element of the call's array reply, or the call's error.
 */
export async function runItems(
  executor: RedisExecutor,
  slots: BucketSlots,
  script: LuaScript,
  items: readonly ScriptItem[],
  headerArgs: readonly (string | Uint8Array)[],
): Promise<PromiseSettledResult<unknown>[]> {
  const members = callMembers(executor, slots, items)
  const calls: ScriptCall[] = members.map((indexes) => {
    const keys: string[] = []
    const args: (string | Uint8Array)[] = [...headerArgs]
    for (const index of indexes) {
      const item = items[index]!
      for (const key of item.keys) keys.push(key)
      for (const arg of item.args) args.push(arg)
    }
    return { script, keys, args }
  })
  const outcomes = await executor.run(calls)
  const results: PromiseSettledResult<unknown>[] = new Array(items.length)
  members.forEach((indexes, callIndex) => {
    const reply = replyOf(script, outcomes[callIndex], indexes.length)
    if (!Array.isArray(reply)) {
      for (const index of indexes) results[index] = { status: 'rejected', reason: reply }
      return
    }
    indexes.forEach((index, position) => {
      results[index] = { status: 'fulfilled', value: reply[position] }
    })
  })
  return results
}

/**
 * A call's array reply of one element per item, or the error all its items
 * fail with: the call's own, or one for a reply of the wrong shape.
 */
export function replyOf(
  script: LuaScript,
  outcome: PromiseSettledResult<unknown> | undefined,
  items: number,
): unknown[] | CacheplaneError {
  if (outcome?.status === 'rejected') return unavailable(script.name, outcome.reason)
  const reply = outcome?.value
  if (Array.isArray(reply) && reply.length === items) return reply
  return unavailable(script.name, new Error(`unexpected reply to the ${script.name} script`))
}

/** The items of each call, as indexes: by slot on a Cluster, else in chunks. */
function callMembers(
  executor: RedisExecutor,
  slots: BucketSlots,
  items: readonly ScriptItem[],
): number[][] {
  // The common case, a turn's gets on a standalone server: one call.
  if (!executor.isCluster && items.length <= MAX_ITEMS_PER_CALL) {
    const all: number[] = []
    for (let index = 0; index < items.length; index++) all.push(index)
    return [all]
  }
  const chunksBySlot = new Map<number, number[][]>()
  items.forEach((item, index) => {
    const slot = executor.isCluster ? slots.of(item.bucket) : 0
    let chunks = chunksBySlot.get(slot)
    if (chunks === undefined) {
      chunks = []
      chunksBySlot.set(slot, chunks)
    }
    let chunk = chunks[chunks.length - 1]
    if (chunk === undefined || chunk.length >= MAX_ITEMS_PER_CALL) {
      chunk = []
      chunks.push(chunk)
    }
    chunk.push(index)
  })
  const members: number[][] = []
  for (const chunks of chunksBySlot.values()) members.push(...chunks)
  return members
}

/** The value of a settled outcome, or its error thrown. */
export function settledValue(outcome: PromiseSettledResult<unknown> | undefined): unknown {
  if (outcome === undefined) throw new CacheplaneError('E_HANDLE', 'A Redis reply is missing.')
  if (outcome.status === 'rejected') throw outcome.reason
  return outcome.value
}

/**
 * Runs one script call whose keys share a slot (tags, locks) through the
 * executor, as every other operation, and returns its reply; a failure
 * becomes the handle's usual `E_L2_UNAVAILABLE`.
 */
export async function runCall(
  executor: RedisExecutor,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | Uint8Array)[],
): Promise<unknown> {
  let outcomes: PromiseSettledResult<unknown>[]
  try {
    outcomes = await executor.run([{ script, keys, args }])
  } catch (error) {
    throw unavailable(script.name, error)
  }
  const outcome = outcomes[0]
  if (outcome === undefined) {
    throw unavailable(script.name, new Error(`no reply to the ${script.name} script`))
  }
  if (outcome.status === 'rejected') throw unavailable(script.name, outcome.reason)
  return outcome.value
}
