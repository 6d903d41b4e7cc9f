import { defineScript } from './lua-script.js'
import { prelude } from './prelude.js'

/*
 * clear() and clearRegion() never look at entries with a TTL: they move the
 * generation on, so the old entries stop matching and expire by their own
 * TTL. Entries without a TTL would never go, so they are tracked in sets and
 * moved to the bucket's purge set here, which `purgeScript` drains in batches.
 */

/**
 * Clears whole buckets (KEYS: bucket meta keys). New bucket generation; the
 * persistent entries of the bucket and of its regions go to the purge set;
 * meta keys of regions that were kept alive for them go too. Returns per
 * bucket how many keys wait in its purge set.
 */
export const clearBucketScript = defineScript(
  'clear',
  `${prelude}
local nowMs = serverMs()
local results = {}
for item, bucketMeta in ipairs(KEYS) do
  local names = namesOf(bucketMeta, '_')
  local current = token(bucketMeta)
  if current then redis.call('HSET', bucketMeta, 't', fmt(newToken(current))) end
  for _, regionPart in ipairs(redis.call('SMEMBERS', names.persistRegions)) do
    local persist = names.base .. ':persist:' .. regionPart
    redis.call('SUNIONSTORE', names.purge, names.purge, persist)
    redis.call('DEL', persist, names.base .. ':meta:' .. regionPart)
  end
  redis.call('DEL', names.persistRegions)
  redis.call('SUNIONSTORE', names.purge, names.purge, names.persistNoRegion)
  redis.call('DEL', names.persistNoRegion)
  releaseMeta(bucketMeta, nowMs)
  results[item] = redis.call('SCARD', names.purge)
end
return results
`,
)

/**
 * Clears one region (KEYS[1]: its bucket's meta key, ARGV[1]: its region
 * part). New region generation; its persistent entries go to the purge set.
 * Returns, in a one-element array, how many keys wait in the bucket's purge set.
 */
export const clearRegionScript = defineScript(
  'clearRegion',
  `${prelude}
local nowMs = serverMs()
local bucketMeta = KEYS[1]
local names = namesOf(bucketMeta, ARGV[1])
local current = token(names.regionMeta)
if current then redis.call('HSET', names.regionMeta, 't', fmt(newToken(current))) end
redis.call('SUNIONSTORE', names.purge, names.purge, names.persist)
redis.call('DEL', names.persist)
if redis.call('SREM', names.persistRegions, names.regionPart) == 1 then
  releaseMeta(names.regionMeta, nowMs)
  if not bucketPinned(names) then releaseMeta(bucketMeta, nowMs) end
end
return { redis.call('SCARD', names.purge) }
`,
)

/**
 * Drains up to ARGV[1] keys from each bucket's purge set (KEYS: bucket meta
 * keys; ARGV[2]: the client's now). A key is unlinked when it has no TTL and
 * is not a live entry (one rewritten since the clear stays). Returns per
 * bucket how many keys still wait.
 */
export const purgeScript = defineScript(
  'purge',
  `${prelude}
local count = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local results = {}

local function regionPartOfEntry(entry, base)
  local rest = string.sub(entry, #base + 2)
  if string.sub(rest, 1, 2) == '_:' then return '_' end
  local digits = string.match(rest, '^r(%d+):')
  if not digits then return nil end
  return string.sub(rest, 1, #digits + 2 + tonumber(digits))
end

for item, bucketMeta in ipairs(KEYS) do
  local names = namesOf(bucketMeta, '_')
  for _, entry in ipairs(redis.call('SPOP', names.purge, count)) do
    if redis.call('PTTL', entry) == -1 then
      local keep = false
      local regionPart = regionPartOfEntry(entry, names.base)
      if regionPart then
        local entryNames = namesOf(bucketMeta, regionPart)
        local bucketToken, regionToken = tokensOf(bucketMeta, entryNames)
        keep = isLive(readHeader(entry), bucketToken, regionToken, now)
      end
      if not keep then redis.call('UNLINK', entry) end
    end
  end
  results[item] = redis.call('SCARD', names.purge)
end
return results
`,
)
