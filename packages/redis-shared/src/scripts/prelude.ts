/**
 * Lua shared by every script: header parsing, generations, names derived from
 * a bucket's meta key, and the bookkeeping that keeps no key without a TTL
 * once nothing needs it. Names mirror key-layout.ts.
 *
 * Generations ("tokens") are numbers: a new one is the server's time in µs,
 * or the old one + 1 when that is larger, so that a bucket or region never
 * sees a token again that an older entry may still carry.
 *
 * Each `local function` is a closure made anew on every run of a script:
 * making the bookkeeping part on every run cost the write script, the hot one,
 * about 3 µs, so it takes the entry part and makes the bookkeeping part only
 * when an item needs it (`lazyBookkeeping`).
 */

/** Constants, and reading an entry's header: what every entry script needs. */
export const entryPrelude = `
-- Formats 1 and 2 share these 58 bytes (format 2 adds tagVersion after them).
local HEADER_SIZE = 58
-- Tombstones are written as format 1, which every adapter version reads.
local FORMAT = 1
local INF = math.huge

-- nil: no entry; false: bytes that are not a format 1 or 2 record; else its header.
local function parseHeader(raw)
  if raw == nil or raw == false then return nil end
  if type(raw) ~= 'string' or #raw < HEADER_SIZE then return false end
  local format = string.byte(raw, 1)
  if format ~= 1 and format ~= 2 then return false end
  local _, flags, version, bucketToken, regionToken, _, expiresAt, staleUntil, sliding =
    struct.unpack('>BBddddddd', raw)
  -- A version that is not a whole number from 1 to 2^53-1 (NaN included) would
  -- poison every later write: treat such a record as foreign, to be replaced.
  if version ~= version or version < 1 or version > 9007199254740991 or version % 1 ~= 0 then
    return false
  end
  return {
    tombstone = flags % 2 == 1,
    version = version,
    bucketToken = bucketToken,
    regionToken = regionToken,
    expiresAt = expiresAt,
    staleUntil = staleUntil,
    sliding = sliding,
  }
end

local function readHeader(key)
  local raw = redis.pcall('GETRANGE', key, 0, HEADER_SIZE - 1)
  if type(raw) == 'table' then return false end
  if raw == '' then return nil end
  return parseHeader(raw)
end

local function isLive(header, bucketToken, regionToken, now)
  return header ~= nil and header ~= false and not header.tombstone
    and bucketToken ~= nil and regionToken ~= nil
    and header.bucketToken == bucketToken and header.regionToken == regionToken
    and header.staleUntil > now
end
`

/** Generations, bookkeeping key names, and keeping meta keys alive. */
const bookkeeping = `
local function fmt(number)
  return string.format('%.0f', number)
end

local function serverMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function newToken(old)
  local time = redis.call('TIME')
  local micros = tonumber(time[1]) * 1000000 + tonumber(time[2])
  if old and old >= micros then return old + 1 end
  return micros
end

local function token(meta)
  local value = redis.call('HGET', meta, 't')
  if value then return tonumber(value) end
  return nil
end

local function namesOf(bucketMeta, regionPart)
  local base = string.sub(bucketMeta, 1, -6)
  return {
    base = base,
    hasRegion = regionPart ~= '_',
    regionPart = regionPart,
    regionMeta = base .. ':meta:' .. regionPart,
    persist = base .. ':persist:' .. regionPart,
    persistRegions = base .. ':persist-regions',
    persistNoRegion = base .. ':persist:_',
    purge = base .. ':purge',
  }
end

local function tokensOf(bucketMeta, names)
  local regionToken = 0
  if names.hasRegion then regionToken = token(names.regionMeta) end
  return token(bucketMeta), regionToken
end

local function bucketPinned(names)
  return redis.call('SCARD', names.persistNoRegion) > 0
    or redis.call('SCARD', names.persistRegions) > 0
end

local function regionPinned(names)
  return redis.call('SCARD', names.persist) > 0
end

-- Keeps a meta key alive for ttl ms at least; it asks for twice that, so
-- that steady traffic rewrites it about once per TTL, not on every write.
-- horizon: the meta's field h as read (false when absent); pinned: bucketPinned
-- or regionPinned, asked only when the TTL moves.
local function extendMeta(meta, horizon, ttl, nowMs, pinned, names)
  if nowMs + ttl <= tonumber(horizon or '0') then return end
  redis.call('HSET', meta, 'h', fmt(nowMs + 2 * ttl))
  if not pinned(names) then redis.call('PEXPIRE', meta, 2 * ttl) end
end

-- Once no entry without TTL needs it: the meta lives to its horizon, or goes.
local function releaseMeta(meta, nowMs)
  local horizon = tonumber(redis.call('HGET', meta, 'h') or '0')
  if horizon > nowMs then
    redis.call('PEXPIRE', meta, horizon - nowMs)
  else
    redis.call('DEL', meta)
  end
end

local function extendMetas(bucketMeta, names, ttl, nowMs)
  extendMeta(bucketMeta, redis.call('HGET', bucketMeta, 'h'), ttl, nowMs, bucketPinned, names)
  if names.hasRegion then
    extendMeta(names.regionMeta, redis.call('HGET', names.regionMeta, 'h'), ttl, nowMs, regionPinned, names)
  end
end

-- An entry without TTL: its sets and metas must outlive it.
local function track(entry, bucketMeta, names)
  redis.call('SADD', names.persist, entry)
  if names.hasRegion then
    redis.call('SADD', names.persistRegions, names.regionPart)
    redis.call('PERSIST', names.regionMeta)
  end
  redis.call('PERSIST', bucketMeta)
end

local function untrack(entry, bucketMeta, names, nowMs)
  if redis.call('SREM', names.persist, entry) == 0 then return end
  if redis.call('SCARD', names.persist) > 0 then return end
  if names.hasRegion then
    redis.call('SREM', names.persistRegions, names.regionPart)
    releaseMeta(names.regionMeta, nowMs)
  end
  if not bucketPinned(names) then releaseMeta(bucketMeta, nowMs) end
end
`

/** Everything above, for the scripts that run it all on every call. */
export const prelude = entryPrelude + bookkeeping

/**
 * The bookkeeping functions as a table, made on the first call of
 * `bookkeeping()` in a run; for scripts that need them on rare paths only.
 */
export const lazyBookkeeping = `
local bookkeepingFunctions
local function bookkeeping()
  if not bookkeepingFunctions then
    bookkeepingFunctions = (function()
${bookkeeping}
      return {
        fmt = fmt, serverMs = serverMs, newToken = newToken, namesOf = namesOf,
        bucketPinned = bucketPinned, regionPinned = regionPinned, extendMeta = extendMeta,
        track = track, untrack = untrack,
      }
    end)()
  end
  return bookkeepingFunctions
end
`
