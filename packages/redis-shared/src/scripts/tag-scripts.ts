import { defineScript } from './lua-script.js'

/*
 * A cache's tags live in two keys of one slot (see `tagKeysOf`): a counter and
 * a hash of tag to version. Neither has a TTL and neither is touched by
 * clear(): a version that went back would bring invalidated entries back.
 */

/**
 * The versions of tags (KEYS[1]: the versions hash; ARGV: the tags). Returns
 * one integer per tag, in order: 0 for a tag never invalidated.
 */
export const tagVersionsScript = defineScript(
  'tagVersions',
  `
local results = {}
-- HMGET in slices: unpack is limited by the Lua stack.
for first = 1, #ARGV, 1000 do
  local last = math.min(first + 999, #ARGV)
  local found = redis.call('HMGET', KEYS[1], unpack(ARGV, first, last))
  for index = first, last do
    results[index] = tonumber(found[index - first + 1] or '0') or 0
  end
end
return results
`,
)

/**
 * Invalidates tags (KEYS[1]: the counter, KEYS[2]: the versions hash; ARGV:
 * the tags): takes the next version of the counter, once, and gives it to
 * every tag, atomically. Returns the version. An empty list takes a version
 * too, so that every call returns a version greater than any before.
 */
export const invalidateTagsScript = defineScript(
  'invalidateTags',
  `
local version = redis.call('INCR', KEYS[1])
for index = 1, #ARGV do
  redis.call('HSET', KEYS[2], ARGV[index], version)
end
return version
`,
)
