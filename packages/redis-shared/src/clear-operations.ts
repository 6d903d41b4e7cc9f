import {
  BUCKET_COUNT,
  bucketMetaKey,
  bucketOf,
  type KeyLayout,
  regionPartOf,
} from './key-layout.js'
import { type ScriptItem, settledValue } from './run-items.js'
import { clearBucketScript, clearRegionScript, purgeScript } from './scripts/clear-scripts.js'
import type { LuaScript } from './scripts/lua-script.js'

/** Runs a script over items, one outcome per item (the handle's `#run`). */
export type RunScript = (
  script: LuaScript,
  items: readonly ScriptItem[],
  headerArgs: readonly string[],
) => Promise<PromiseSettledResult<unknown>[]>

/** Keys drained from a purge set per bucket and call: small enough not to stall Redis. */
const purgeBatch = 500

/** Moves every bucket's generation on, then drains what waits for a purge. */
export async function clearCache(run: RunScript, layout: KeyLayout): Promise<void> {
  const items = Array.from({ length: BUCKET_COUNT }, (_, bucket) => ({
    bucket,
    keys: [bucketMetaKey(layout, bucket)],
    args: [],
  }))
  await purge(run, items, await run(clearBucketScript, items, []))
}

/** Moves the region's generation on (one script on one node), then drains its purge set. */
export async function clearRegion(
  run: RunScript,
  layout: KeyLayout,
  region: string,
): Promise<void> {
  const bucket = bucketOf('', region)
  const item = { bucket, keys: [bucketMetaKey(layout, bucket)], args: [regionPartOf(region)] }
  await purge(run, [item], await run(clearRegionScript, [item], []))
}

/** Drains the purge sets that a clear filled, bucket by bucket, until they are empty. */
async function purge(
  run: RunScript,
  items: readonly ScriptItem[],
  first: PromiseSettledResult<unknown>[],
): Promise<void> {
  let waiting = items.filter((_, index) => Number(settledValue(first[index])) > 0)
  while (waiting.length > 0) {
    const outcomes = await run(purgeScript, waiting, [String(purgeBatch), String(Date.now())])
    waiting = waiting.filter((_, index) => Number(settledValue(outcomes[index])) > 0)
  }
}
