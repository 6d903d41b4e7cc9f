import { setImmediate as nextTurn } from 'node:timers/promises'
import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import type { RedisExecutor, ScriptCall } from './executor.js'
import { GetBatcher } from './get-batcher.js'
import { BucketSlots, entryAddress, type KeyLayout } from './key-layout.js'
import { MAX_ITEMS_PER_CALL } from './run-items.js'

const layout: KeyLayout = { prefix: 'cacheplane', cacheName: 'batching' }
const slots = new BucketSlots(layout)

/**
 * An executor that answers every key with its own name and records each
 * `run`: the keys of each call, and whether it came before the turn ended.
 * The Redis side is tested over real servers in each adapter's package.
 */
class RecordingExecutor implements RedisExecutor {
  readonly runs: { keys: string[][]; early: boolean }[] = []
  turnEnded = false
  fail: (call: ScriptCall) => boolean = () => false

  constructor(
    readonly isCluster: boolean,
    readonly writesImmediately: boolean | undefined,
  ) {}

  async run(calls: readonly ScriptCall[]): Promise<PromiseSettledResult<unknown>[]> {
    this.runs.push({ keys: calls.map((call) => [...call.keys]), early: !this.turnEnded })
    return calls.map((call) =>
      this.fail(call)
        ? { status: 'rejected', reason: new Error('connection lost') }
        : { status: 'fulfilled', value: call.keys.map((key) => Buffer.from(key)) },
    )
  }

  callSizes(): number[] {
    return this.runs.flatMap((run) => run.keys.map((keys) => keys.length))
  }
}

function batcherOver(executor: RecordingExecutor): GetBatcher {
  return new GetBatcher(executor, () => ({ layout, slots }))
}

/** Issues `keys` as concurrent gets in one turn; marks the turn's end once they are all out. */
async function getAll(
  executor: RecordingExecutor,
  batcher: GetBatcher,
  keys: readonly string[],
): Promise<PromiseSettledResult<unknown>[]> {
  const replies = keys.map((key) => batcher.get(entryAddress(layout, key, undefined)))
  queueMicrotask(() => {
    executor.turnEnded = true
  })
  return Promise.allSettled(replies)
}

const keys = (count: number, prefix = 'key') =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`)

describe('GetBatcher', () => {
  it('over a client that writes each command at once, sends a call per 24 gets without waiting for the turn', async () => {
    const executor = new RecordingExecutor(false, true)
    const outcomes = await getAll(executor, batcherOver(executor), keys(50))
    expect(executor.callSizes()).toEqual([24, 24, 2])
    expect(executor.runs.map((run) => run.early)).toEqual([true, true, false])
    expect(
      outcomes.map((outcome) => outcome.status === 'fulfilled' && String(outcome.value)),
    ).toEqual(keys(50).map((key) => entryAddress(layout, key, undefined).entryKey))
  })

  it('over a client that writes a turn at once, sends one call per turn up to MAX_ITEMS_PER_CALL', async () => {
    for (const writesImmediately of [false, undefined]) {
      const executor = new RecordingExecutor(false, writesImmediately)
      const batcher = batcherOver(executor)
      await getAll(executor, batcher, keys(50))
      expect(executor.callSizes()).toEqual([50])
      expect(executor.runs[0]?.early).toBe(false)
      executor.runs.length = 0
      await getAll(executor, batcher, keys(600))
      expect(executor.callSizes()).toEqual([MAX_ITEMS_PER_CALL, MAX_ITEMS_PER_CALL, 88])
    }
  })

  it('on a Cluster, counts per hash slot and sends the rest of every slot together', async () => {
    const executor = new RecordingExecutor(true, true)
    // Keys of one region share a bucket, so a slot; two regions in two slots.
    const region = (name: string, count: number) =>
      keys(count, name).map((key) => entryAddress(layout, key, name))
    const first = region('first', 30)
    const second = region('second', 5)
    expect(slots.of(first[0]!.bucket)).not.toBe(slots.of(second[0]!.bucket))
    const batcher = batcherOver(executor)
    // Interleaved: 24 gets in all are not a call, 24 of one slot are.
    const interleaved = first.flatMap((address, index) =>
      index < second.length ? [second[index]!, address] : [address],
    )
    const replies = interleaved.map((address) => batcher.get(address))
    queueMicrotask(() => {
      executor.turnEnded = true
    })
    await Promise.all(replies)
    expect(executor.runs).toEqual([
      { keys: [first.slice(0, 24).map((address) => address.entryKey)], early: true },
      {
        keys: [
          second.map((address) => address.entryKey),
          first.slice(24).map((address) => address.entryKey),
        ],
        early: false,
      },
    ])
  })

  it('a failed call fails its own gets only', async () => {
    const executor = new RecordingExecutor(false, true)
    const failing = entryAddress(layout, 'key-30', undefined).entryKey
    executor.fail = (call) => call.keys.includes(failing)
    const outcomes = await getAll(executor, batcherOver(executor), keys(40))
    const failed = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [index] : [],
    )
    // key-30 is in the second call: keys 24 to 39.
    expect(failed).toEqual(keys(16).map((_, index) => 24 + index))
    const reason = (outcomes[30] as PromiseRejectedResult).reason
    expect(CacheplaneError.isInstance(reason) && reason.code).toBe('E_L2_UNAVAILABLE')
  })

  it('a reply of the wrong shape fails the gets of its call', async () => {
    const executor = new RecordingExecutor(false, true)
    executor.run = async (calls) =>
      calls.map(() => ({ status: 'fulfilled', value: [Buffer.from('one reply')] }))
    const outcomes = await getAll(executor, batcherOver(executor), keys(3))
    for (const outcome of outcomes) {
      const reason = outcome.status === 'rejected' ? outcome.reason : undefined
      expect(CacheplaneError.isInstance(reason) && reason.code).toBe('E_L2_UNAVAILABLE')
    }
  })

  it('flush sends what waits at once, and a turn with nothing left sends nothing', async () => {
    const executor = new RecordingExecutor(false, true)
    const batcher = batcherOver(executor)
    const reply = batcher.get(entryAddress(layout, 'alone', undefined))
    await batcher.flush()
    expect(executor.callSizes()).toEqual([1])
    expect(executor.runs[0]?.early).toBe(true)
    await reply
    await nextTurn()
    expect(executor.runs).toHaveLength(1)
  })
})
