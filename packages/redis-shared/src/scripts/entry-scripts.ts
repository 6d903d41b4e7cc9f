import { defineScript } from './lua-script.js'
import { prelude } from './prelude.js'

/*
 * Every entry script takes any number of items, so that one call serves a
 * batch: two KEYS per item (entry key, bucket meta key), ARGV[1] the client's
 * `now` in ms, then per-item arguments. On a Cluster, a call's items share a
 * slot; on a standalone server a call may span buckets.
 */

/**
 * Reads entries. Per item, ARGV: region part. Returns per item the record, or
 * nil (none, tombstone, older generation, past staleUntil). Bytes that are not
 * a record come back as they are, for the client to reject. A fresh sliding
 * entry is renewed here: expiresAt = now + sliding, grace kept, TTL moved.
 */
export const getScript = defineScript(
  'get',
  `${prelude}
local now = tonumber(ARGV[1])
local nowMs = nil
local results = {}
for item = 1, #KEYS / 2 do
  local entry, bucketMeta = KEYS[2 * item - 1], KEYS[2 * item]
  local raw = redis.pcall('GET', entry)
  if type(raw) == 'table' then
    results[item] = raw.err or 'not a string'
  elseif not raw then
    results[item] = false
  else
    local header = parseHeader(raw)
    if header == false then
      results[item] = raw
    else
      local names = namesOf(bucketMeta, ARGV[1 + item])
      local bucketToken, regionToken = tokensOf(bucketMeta, names)
      if not isLive(header, bucketToken, regionToken, now) then
        results[item] = false
      else
        if header.sliding > 0 and header.expiresAt > now then
          local expiresAt = now + header.sliding
          local staleUntil = INF
          if header.staleUntil ~= INF then
            staleUntil = expiresAt + (header.staleUntil - header.expiresAt)
          end
          redis.call('SETRANGE', entry, 34, struct.pack('>dd', expiresAt, staleUntil))
          if staleUntil ~= INF then
            local ttl = math.ceil(staleUntil - now)
            redis.call('PEXPIRE', entry, ttl)
            nowMs = nowMs or serverMs()
            extendMetas(bucketMeta, names, ttl, nowMs)
          end
          raw = redis.call('GET', entry)
        end
        results[item] = raw
      end
    end
  end
end
return results
`,
)

/**
 * Writes entries. Per item, ARGV: mode (s: set, a: add, c: compare-and-set),
 * expected version (for c), region part, physical TTL in ms (-1: none), the
 * record. Returns per item the version stored, or 0 when refused. A record
 * with version 0 gets the stored one's version + 1; tombstones and entries of
 * an older generation count, so versions keep growing across delete and clear.
 */
export const writeScript = defineScript(
  'write',
  `${prelude}
local now = tonumber(ARGV[1])
local nowMs = serverMs()
local results = {}
for item = 1, #KEYS / 2 do
  local entry, bucketMeta = KEYS[2 * item - 1], KEYS[2 * item]
  local at = 1 + (item - 1) * 5
  local mode, expected, ttl, record = ARGV[at + 1], tonumber(ARGV[at + 2]), tonumber(ARGV[at + 4]), ARGV[at + 5]
  local names = namesOf(bucketMeta, ARGV[at + 3])
  local old = readHeader(entry)
  local bucketToken, regionToken = tokensOf(bucketMeta, names)
  local live = isLive(old, bucketToken, regionToken, now)
  local refused = false
  if mode == 'a' then
    refused = live and old.expiresAt > now
  elseif mode == 'c' then
    local current = 0
    if live then current = old.version end
    refused = current ~= expected
  end
  if refused then
    results[item] = 0
  else
    local version = struct.unpack('>d', record, 3)
    if version == 0 then
      version = 1
      if old then version = old.version + 1 end
    end
    if bucketToken == nil then
      bucketToken = newToken(nil)
      redis.call('HSET', bucketMeta, 't', fmt(bucketToken))
    end
    if regionToken == nil then
      regionToken = newToken(nil)
      redis.call('HSET', names.regionMeta, 't', fmt(regionToken))
    end
    if ttl > 0 then
      redis.call('SET', entry, record, 'PX', ttl)
    else
      redis.call('SET', entry, record)
    end
    redis.call('SETRANGE', entry, 2, struct.pack('>ddd', version, bucketToken, regionToken))
    if ttl > 0 then
      -- Horizon first: untrack may then release the metas, and must see this entry.
      extendMetas(bucketMeta, names, ttl, nowMs)
      if old and old.staleUntil == INF then untrack(entry, bucketMeta, names, nowMs) end
    else
      track(entry, bucketMeta, names)
    end
    results[item] = version
  end
end
return results
`,
)

/**
 * Deletes entries, leaving a tombstone with the last version for
 * min(ARGV[2] ms, the entry's remaining TTL). Per item, ARGV: region part.
 * Returns per item 1 when a live entry was there, else 0.
 */
export const deleteScript = defineScript(
  'delete',
  `${prelude}
local now = tonumber(ARGV[1])
local tombstoneTtl = tonumber(ARGV[2])
local nowMs = serverMs()
local results = {}
for item = 1, #KEYS / 2 do
  local entry, bucketMeta = KEYS[2 * item - 1], KEYS[2 * item]
  local names = namesOf(bucketMeta, ARGV[2 + item])
  local old = readHeader(entry)
  if old == false then
    redis.call('DEL', entry)
    results[item] = 0
  elseif old == nil or old.tombstone then
    results[item] = 0
  else
    local bucketToken, regionToken = tokensOf(bucketMeta, names)
    local live = isLive(old, bucketToken, regionToken, now)
    local keep = tombstoneTtl
    local ttl = redis.call('PTTL', entry)
    if ttl >= 0 and ttl < keep then keep = ttl end
    if keep > 0 then
      local tombstone = struct.pack('>BBdddddddBH', FORMAT, 1, old.version, old.bucketToken,
        old.regionToken, 0, 0, 0, 0, 0, 0)
      redis.call('SET', entry, tombstone, 'PX', keep)
    else
      redis.call('DEL', entry)
    end
    if old.staleUntil == INF then untrack(entry, bucketMeta, names, nowMs) end
    if live then results[item] = 1 else results[item] = 0 end
  end
end
return results
`,
)

/**
 * Logical expiry: expiresAt = now (when later), staleUntil and TTL kept. Per
 * item, ARGV: region part. Returns per item 1 when a live entry was there.
 */
export const expireScript = defineScript(
  'expire',
  `${prelude}
local now = tonumber(ARGV[1])
local results = {}
for item = 1, #KEYS / 2 do
  local entry, bucketMeta = KEYS[2 * item - 1], KEYS[2 * item]
  local names = namesOf(bucketMeta, ARGV[1 + item])
  local old = readHeader(entry)
  local bucketToken, regionToken = tokensOf(bucketMeta, names)
  if isLive(old, bucketToken, regionToken, now) then
    if old.expiresAt > now then
      redis.call('SETRANGE', entry, 34, struct.pack('>d', now))
    end
    results[item] = 1
  else
    results[item] = 0
  end
end
return results
`,
)
