import { type CacheEntry, CacheplaneError, type Serializer } from '@cacheplane/core'

/**
 * Stored formats 1 and 2: one Redis string per entry.
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | u8 | format (1 or 2) |
 * | 1 | u8 | flags (bit 0: tombstone) |
 * | 2 | f64 | version |
 * | 10 | f64 | bucket generation (written by the script) |
 * | 18 | f64 | region generation (written by the script; 0 without a region) |
 * | 26 | f64 | createdAt |
 * | 34 | f64 | expiresAt (may be Infinity) |
 * | 42 | f64 | staleUntil (may be Infinity) |
 * | 50 | f64 | sliding |
 * | 58 | f64 | tagVersion (format 2 only) |
 * | 58 or 66 | u8 + n | serializer name (UTF-8) |
 * | | u16 + tags | tag count, then each tag as u16 byte length + UTF-8 |
 * | | rest | the serialized value |
 *
 * Numbers are big-endian; times are ms since the epoch. The fixed header lets
 * Lua read and patch fields in place (`GETRANGE`, `SETRANGE`) without copying
 * the value; its first 58 bytes are the same in both formats, so the scripts
 * read both alike. Entries without a `tagVersion` (or with 0) are written as
 * format 1, which adapters older than format 2 still read (decision 0008);
 * tombstones are format 1 too.
 */
/** The format of entries without a tagVersion, and of tombstones. */
export const STORED_FORMAT = 1
/** The format of entries with a tagVersion: format 1 with an f64 after the fixed header. */
export const TAGGED_STORED_FORMAT = 2
/** The fixed header both formats share, and all the scripts read. */
export const HEADER_BYTES = 58
/** Format 2's header: the shared one, then tagVersion. */
export const TAGGED_HEADER_BYTES = 66
export const OFFSET_VERSION = 2
export const OFFSET_EXPIRES_AT = 34
export const OFFSET_TAG_VERSION = 58
const flagTombstone = 1
const maxShortLength = 0xffff

const utf8 = new TextDecoder('utf-8', { fatal: true })

function corrupt(reason: string, cause?: unknown): CacheplaneError {
  return new CacheplaneError('E_SERIALIZATION', `A stored entry is not valid: ${reason}.`, {
    cause,
  })
}

/**
 * Encodes an entry with generations 0 (the write script fills them in) and the
 * entry's own version (0: the script assigns one): as format 2 when it has a
 * `tagVersion` above 0, else as format 1.
 */
export function encodeEntryRecord(entry: CacheEntry, serializer: Serializer): Buffer {
  const tagVersion = entry.tagVersion ?? 0
  if (!Number.isSafeInteger(tagVersion) || tagVersion < 0) {
    throw corrupt(`tagVersion ${tagVersion} is not a whole number from 0 to 2^53-1`)
  }
  const value = serializer.serialize(entry.value)
  const name = Buffer.from(serializer.name, 'utf8')
  if (name.length > 0xff) throw corrupt('the serializer name is longer than 255 bytes')
  if (entry.tags.length > maxShortLength) throw corrupt('more than 65535 tags')
  const tags = entry.tags.map((tag) => Buffer.from(tag, 'utf8'))
  const headerBytes = tagVersion > 0 ? TAGGED_HEADER_BYTES : HEADER_BYTES
  let size = headerBytes + 1 + name.length + 2 + value.byteLength
  for (const tag of tags) {
    if (tag.length > maxShortLength) throw corrupt('a tag is longer than 65535 bytes')
    size += 2 + tag.length
  }
  const record = Buffer.allocUnsafe(size)
  record.writeUInt8(tagVersion > 0 ? TAGGED_STORED_FORMAT : STORED_FORMAT, 0)
  record.writeUInt8(0, 1)
  record.writeDoubleBE(entry.version, OFFSET_VERSION)
  record.writeDoubleBE(0, 10)
  record.writeDoubleBE(0, 18)
  record.writeDoubleBE(entry.createdAt, 26)
  record.writeDoubleBE(entry.expiresAt, OFFSET_EXPIRES_AT)
  record.writeDoubleBE(entry.staleUntil, 42)
  record.writeDoubleBE(entry.sliding, 50)
  if (tagVersion > 0) record.writeDoubleBE(tagVersion, OFFSET_TAG_VERSION)
  let offset = headerBytes
  record.writeUInt8(name.length, offset)
  offset += 1 + name.copy(record, offset + 1)
  record.writeUInt16BE(tags.length, offset)
  offset += 2
  for (const tag of tags) {
    record.writeUInt16BE(tag.length, offset)
    offset += 2 + tag.copy(record, offset + 2)
  }
  record.set(value, offset)
  return record
}

function readLength(record: Buffer, offset: number, bytes: 1 | 2): number {
  if (offset + bytes > record.length) throw corrupt('it ends inside a length field')
  return bytes === 1 ? record.readUInt8(offset) : record.readUInt16BE(offset)
}

function readText(record: Buffer, offset: number, length: number): string {
  if (offset + length > record.length) throw corrupt('it ends inside a string')
  try {
    return utf8.decode(record.subarray(offset, offset + length))
  } catch (error) {
    throw corrupt('a string is not UTF-8', error)
  }
}

// The serializer name is checked on every get: compare bytes, decode only to explain a mismatch.
function holdsAsciiText(record: Buffer, offset: number, length: number, text: string): boolean {
  if (length !== text.length || offset + length > record.length) return false
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index)
    if (code >= 0x80 || record[offset + index] !== code) return false
  }
  return true
}

function isTime(value: number): boolean {
  return !Number.isNaN(value) && value !== Number.NEGATIVE_INFINITY
}

/**
 * Decodes a record of format 1 (no `tagVersion` in the result) or 2 that a
 * get script returned. Checks every header field's type and range, and that
 * the serializer that wrote it is the cache's one; anything else throws
 * `E_SERIALIZATION`. The result is a fresh plain object.
 */
export function decodeEntryRecord(bytes: Uint8Array, serializer: Serializer): CacheEntry {
  const record = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const format = record.length > 0 ? record.readUInt8(0) : 0
  const tagged = format === TAGGED_STORED_FORMAT
  const headerBytes = tagged ? TAGGED_HEADER_BYTES : HEADER_BYTES
  if (record.length < headerBytes + 3) throw corrupt(`it has ${record.length} bytes`)
  if (format !== STORED_FORMAT && !tagged) {
    throw corrupt(`format ${format} is unknown (expected 1 or 2)`)
  }
  if ((record.readUInt8(1) & flagTombstone) !== 0) throw corrupt('it is a tombstone')
  const version = record.readDoubleBE(OFFSET_VERSION)
  const createdAt = record.readDoubleBE(26)
  const expiresAt = record.readDoubleBE(OFFSET_EXPIRES_AT)
  const staleUntil = record.readDoubleBE(42)
  const sliding = record.readDoubleBE(50)
  if (!Number.isSafeInteger(version) || version < 1) throw corrupt(`version ${version}`)
  if (!Number.isFinite(createdAt)) throw corrupt(`createdAt ${createdAt}`)
  if (!isTime(expiresAt) || !isTime(staleUntil) || staleUntil < expiresAt) {
    throw corrupt(`expiresAt ${expiresAt} and staleUntil ${staleUntil}`)
  }
  if (!Number.isFinite(sliding) || sliding < 0) throw corrupt(`sliding ${sliding}`)
  const tagVersion = tagged ? record.readDoubleBE(OFFSET_TAG_VERSION) : 0
  if (!Number.isSafeInteger(tagVersion) || tagVersion < 0) throw corrupt(`tagVersion ${tagVersion}`)
  let offset = headerBytes
  const nameLength = readLength(record, offset, 1)
  if (!holdsAsciiText(record, offset + 1, nameLength, serializer.name)) {
    const name = readText(record, offset + 1, nameLength)
    if (name !== serializer.name) {
      throw new CacheplaneError(
        'E_SERIALIZATION',
        `A stored entry was written with the "${name}" serializer; this cache uses "${serializer.name}".`,
      )
    }
  }
  offset += 1 + nameLength
  const tagCount = readLength(record, offset, 2)
  offset += 2
  const tags: string[] = []
  for (let index = 0; index < tagCount; index++) {
    const length = readLength(record, offset, 2)
    tags.push(readText(record, offset + 2, length))
    offset += 2 + length
  }
  let value: unknown
  try {
    value = serializer.deserialize(record.subarray(offset))
  } catch (error) {
    if (CacheplaneError.isInstance(error)) throw error
    throw corrupt(`the "${serializer.name}" serializer could not decode the value`, error)
  }
  const entry: CacheEntry = { value, version, createdAt, expiresAt, staleUntil, sliding, tags }
  if (tagged) entry.tagVersion = tagVersion
  return entry
}
