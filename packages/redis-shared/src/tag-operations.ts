import { assertTags } from './arguments.js'
import type { RedisExecutor } from './executor.js'
import { type KeyLayout, tagKeysOf } from './key-layout.js'
import { runCall, unavailable } from './run-items.js'
import { invalidateTagsScript, tagVersionsScript } from './scripts/tag-scripts.js'

/** The version of each tag, in order, 0 for a tag never invalidated: one script call. */
export async function readTagVersions(
  executor: RedisExecutor,
  layout: KeyLayout,
  tags: readonly string[],
): Promise<number[]> {
  assertTags(tags, 'tagVersions')
  if (tags.length === 0) return []
  const reply = await runCall(executor, tagVersionsScript, [tagKeysOf(layout).versions], tags)
  if (
    !Array.isArray(reply) ||
    reply.length !== tags.length ||
    !reply.every((version) => typeof version === 'number')
  ) {
    throw unavailable('tagVersions', new Error('unexpected reply to the tagVersions script'))
  }
  return reply
}

/** Gives every tag the cache's next tag version, atomically (one script call), and returns it. */
export async function invalidateTags(
  executor: RedisExecutor,
  layout: KeyLayout,
  tags: readonly string[],
): Promise<number> {
  assertTags(tags, 'invalidateTags')
  const { counter, versions } = tagKeysOf(layout)
  const reply = await runCall(executor, invalidateTagsScript, [counter, versions], tags)
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 1) {
    throw unavailable('invalidateTags', new Error('unexpected reply to the invalidateTags script'))
  }
  return reply
}
