import { defineScript } from './lua-script.js'
import { entryPrelude, lazyBookkeeping, prelude } from './prelude.js'

/*
 * Every entry script takes any number of items, so that one call serves a
 * batch. The write, delete and expire scripts take two KEYS per item (entry
 * key, bucket meta key), ARGV[1] the client's `now` in ms, then per-item
 * arguments; the get script takes one KEY per item (see there). On a Cluster,
 * a call's items share a slot; on a standalone server a call may span buckets.
 */

/**
 * Reads entries: one KEY per item, the entry key; ARGV[1] the client's `now`
 * in ms, ARGV[2] the byte length of `{<cache name>.`. Returns per item the
 * record, or nil (none, tombstone, older generation, past staleUntil). Bytes
 * that are not a record come back as they are, for the client to reject. A
 * fresh sliding entry is renewed here: expiresAt = now + sliding, grace kept,
 * TTL moved.
 *
 * Gets are the hot path, so the script takes as few arguments as it can (each
 * costs the client more than the script's work on it) and derives the bucket
 * and region meta keys from the entry key: `<base>:<region part>:<key>`, the
 * base ending at the hash tag's `}` (a client key prefix may stand before it,
 * and holds no `{`). It reads the entries with one MGET and each distinct
 * generation once per call.
 */
export const getScript = defineScript(
  'get',
  `
local HEADER_SIZE = 58
-- Stored formats 1 and 2 share the header this script reads.
local FORMATS = { [1] = true, [2] = true }
local INF = math.huge
-- Only a sliding renewal needs the prelude: its functions are made when one happens.
local function extendMetasOf(bucketMeta, regionPart, ttl)
${prelude}
  extendMetas(bucketMeta, namesOf(bucketMeta, regionPart), ttl, serverMs())
end
local now = tonumber(ARGV[1])
local tagLength = tonumber(ARGV[2])
local tokens = {}
local function tokenOf(meta)
  local value = tokens[meta]
  if value == nil then
    value = redis.call('HGET', meta, 't')
    value = value and tonumber(value) or false
    tokens[meta] = value
  end
  return value
end
-- One MGET, not a GET per item: each redis.call costs more than the GET itself.
local raws = redis.call('MGET', unpack(KEYS))
local results = {}
for item = 1, #KEYS do
  local entry, raw = KEYS[item], raws[item]
  if not raw then
    -- MGET reads a key of another type as nil: GET tells it from a missing one.
    if redis.call('EXISTS', entry) == 1 then
      local reply = redis.pcall('GET', entry)
      if type(reply) == 'table' then reply = reply.err or 'not a string' end
      results[item] = reply
    else
      results[item] = false
    end
  elseif #raw < HEADER_SIZE or not FORMATS[string.byte(raw, 1)] then
    -- Not a format 1 or 2 record: the client rejects it.
    results[item] = raw
  else
    local _, flags, _, bucketToken, regionToken, _, expiresAt, staleUntil, sliding =
      struct.unpack('>BBddddddd', raw)
    local live = flags % 2 == 0 and staleUntil > now
    local bucketMeta, regionPart
    if live then
      local close = string.find(entry, '}', string.find(entry, '{', 1, true) + tagLength, true)
      bucketMeta = string.sub(entry, 1, close) .. ':meta'
      live = bucketToken == tokenOf(bucketMeta)
      if live and string.byte(entry, close + 2) == 95 then
        regionPart = '_'
        live = regionToken == 0
      elseif live then
        local colon = string.find(entry, ':', close + 3, true)
        regionPart = string.sub(entry, close + 2, colon + tonumber(string.sub(entry, close + 3, colon - 1)))
        live = regionToken == tokenOf(bucketMeta .. ':' .. regionPart)
      end
    end
    if not live then
      results[item] = false
    else
      if sliding > 0 and expiresAt > now then
        local renewedExpiresAt = now + sliding
        local renewedStaleUntil = INF
        if staleUntil ~= INF then
          renewedStaleUntil = renewedExpiresAt + (staleUntil - expiresAt)
        end
        redis.call('SETRANGE', entry, 34, struct.pack('>dd', renewedExpiresAt, renewedStaleUntil))
        if renewedStaleUntil ~= INF then
          local ttl = math.ceil(renewedStaleUntil - now)
          redis.call('PEXPIRE', entry, ttl)
          extendMetasOf(bucketMeta, regionPart, ttl)
        end
        raw = redis.call('GET', entry)
      end
      results[item] = raw
    end
  end
end
return results
`,
)

// What the write-and-publish script runs after the write.
const publishTail = `local version = results[1]
if version and version > 0 then
  -- CBOR head of an unsigned integer, shortest form; versions stay below 2^53.
  local head
  if version < 24 then
    head = string.char(version)
  elseif version < 256 then
    head = string.char(24, version)
  elseif version < 65536 then
    head = string.char(25) .. struct.pack('>I2', version)
  elseif version < 4294967296 then
    head = string.char(26) .. struct.pack('>I4', version)
  else
    head = string.char(27) .. struct.pack('>I4I4', math.floor(version / 4294967296), version % 4294967296)
  end
  redis.call('PUBLISH', ARGV[2], ARGV[3] .. head)
end
`

/**
 * Writes entries. Per item, ARGV: mode (s: set, a: add, c: compare-and-set),
 * expected version (for c), region part, physical TTL in ms (-1: none), the
 * record. Returns per item the version stored, or 0 when refused. A record
 * with version 0 gets the stored one's version + 1; tombstones and entries of
 * an older generation count, so versions keep growing across delete and clear.
 */
export const writeScript = defineScript('write', writeSource(false))

/**
 * The write script for one `set` that also announces it: ARGV[2] a channel,
 * ARGV[3] a backplane frame without its last item; once the entry is stored,
 * it publishes that frame followed by the version stored, a CBOR unsigned
 * integer in its shortest form (PROTOCOL.md). Redis runs the script as one
 * step, so no subscriber hears of the write before it can read it.
 */
export const writePublishScript = defineScript('write and publish', writeSource(true))

function writeSource(publish: boolean): string {
  return `${entryPrelude}${lazyBookkeeping}
-- A meta key must outlive every entry that relies on it (decision 0005): one
-- written now for ttl ms needs the meta's horizon h (server ms; the meta lives
-- that long at least) to reach serverNow + ttl. TIME costs about as much as
-- the SET, so the client's clock (now) decides when it clears the bar by this
-- margin: now + ttl + SKEW_MARGIN <= h implies serverNow + ttl <= h while the
-- client's clock is at most SKEW_MARGIN behind the server's. Short of that,
-- TIME and the exact check. A client clock further behind may let a meta
-- expire before an entry, which then reads as absent: a miss, never a stale
-- hit, as after any early expiry of a meta. A clock ahead only reads TIME more.
local SKEW_MARGIN = 60000
local now = tonumber(ARGV[1])
-- The server's clock in ms: read once per call, when an item first needs it.
local nowMs
local function serverNow()
  if not nowMs then nowMs = bookkeeping().serverMs() end
  return nowMs
end
-- Keeps the bucket's meta (or, forRegion, the region's) alive for an entry of
-- ttl ms; horizon: the meta's field h as read.
local function keepMeta(horizon, ttl, bucketMeta, regionPart, forRegion)
  if now + ttl + SKEW_MARGIN <= tonumber(horizon or '0') then return end
  local functions = bookkeeping()
  local names = functions.namesOf(bucketMeta, regionPart)
  if forRegion then
    functions.extendMeta(names.regionMeta, horizon, ttl, serverNow(), functions.regionPinned, names)
  else
    functions.extendMeta(bucketMeta, horizon, ttl, serverNow(), functions.bucketPinned, names)
  end
end
local results = {}
for item = 1, #KEYS / 2 do
  local entry, bucketMeta = KEYS[2 * item - 1], KEYS[2 * item]
  local at = ${publish ? 3 : 1} + (item - 1) * 5
  local mode, expected, ttl, record = ARGV[at + 1], tonumber(ARGV[at + 2]), tonumber(ARGV[at + 4]), ARGV[at + 5]
  local regionPart = ARGV[at + 3]
  -- The one bookkeeping name every write needs, as namesOf makes it; the
  -- others only on the rare paths.
  local regionMeta = false
  if regionPart ~= '_' then regionMeta = string.sub(bucketMeta, 1, -6) .. ':meta:' .. regionPart end
  local old = readHeader(entry)
  -- Each meta's generation and horizon in one read (the horizon is needed below).
  local bucketFields = redis.call('HMGET', bucketMeta, 't', 'h')
  local bucketToken, regionToken, regionFields = tonumber(bucketFields[1]), 0, nil
  if regionMeta then
    regionFields = redis.call('HMGET', regionMeta, 't', 'h')
    regionToken = tonumber(regionFields[1])
  end
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
      bucketToken = bookkeeping().newToken(nil)
      redis.call('HSET', bucketMeta, 't', bookkeeping().fmt(bucketToken))
    end
    if regionToken == nil then
      regionToken = bookkeeping().newToken(nil)
      redis.call('HSET', regionMeta, 't', bookkeeping().fmt(regionToken))
    end
    -- Version and generations go into the header (bytes 3-26) before the one SET.
    record = string.sub(record, 1, 2) .. struct.pack('>ddd', version, bucketToken, regionToken)
      .. string.sub(record, 27)
    if ttl > 0 then
      redis.call('SET', entry, record, 'PX', ttl)
    else
      redis.call('SET', entry, record)
    end
    if ttl > 0 then
      -- Horizon first: untrack may then release the metas, and must see this entry.
      keepMeta(bucketFields[2], ttl, bucketMeta, regionPart, false)
      if regionMeta then keepMeta(regionFields[2], ttl, bucketMeta, regionPart, true) end
      if old and old.staleUntil == INF then
        local functions = bookkeeping()
        functions.untrack(entry, bucketMeta, functions.namesOf(bucketMeta, regionPart), serverNow())
      end
    else
      local functions = bookkeeping()
      functions.track(entry, bucketMeta, functions.namesOf(bucketMeta, regionPart))
    end
    results[item] = version
  end
end
${publish ? publishTail : ''}return results
`
}

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
