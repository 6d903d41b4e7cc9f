import { type CacheEntry, CacheplaneError, cborSerializer, jsonSerializer } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { decodeEntryRecord, encodeEntryRecord, HEADER_BYTES } from './entry-record.js'

const serializer = cborSerializer()

function sample(fields: Partial<CacheEntry> = {}): CacheEntry {
  return {
    value: { name: 'widget', at: new Date(5), tags: new Set([1]) },
    version: 7,
    createdAt: 1_000,
    expiresAt: 61_000,
    staleUntil: 121_000,
    sliding: 0,
    tags: ['brand:acme', 'ünï'],
    ...fields,
  }
}

function rejects(bytes: Uint8Array, fragment: string): void {
  let caught: unknown
  try {
    decodeEntryRecord(bytes, serializer)
  } catch (error) {
    caught = error
  }
  expect(CacheplaneError.hasCode(caught, 'E_SERIALIZATION'), fragment).toBe(true)
  expect((caught as Error).message).toContain(fragment)
}

describe('entry record', () => {
  it('round-trips every field, Infinity included', () => {
    const entry = sample({
      expiresAt: Number.POSITIVE_INFINITY,
      staleUntil: Number.POSITIVE_INFINITY,
    })
    expect(decodeEntryRecord(encodeEntryRecord(entry, serializer), serializer)).toEqual(entry)
    const sliding = sample({ sliding: 30_000, tags: [] })
    expect(decodeEntryRecord(encodeEntryRecord(sliding, serializer), serializer)).toEqual(sliding)
  })

  it('lays out the header as documented', () => {
    const record = encodeEntryRecord(sample(), serializer)
    expect(record[0]).toBe(1)
    expect(record[1]).toBe(0)
    expect(record.readDoubleBE(2)).toBe(7)
    expect(record.readDoubleBE(34)).toBe(61_000)
    expect(record[HEADER_BYTES]).toBe(4)
    expect(record.subarray(HEADER_BYTES + 1, HEADER_BYTES + 5).toString()).toBe('cbor')
    expect(record.readUInt16BE(HEADER_BYTES + 5)).toBe(2)
  })

  it('decodes a plain Uint8Array as well as a Buffer', () => {
    const record = encodeEntryRecord(sample(), serializer)
    expect(decodeEntryRecord(new Uint8Array(record), serializer)).toEqual(sample())
  })

  it('rejects garbage with E_SERIALIZATION', () => {
    const good = encodeEntryRecord(sample(), serializer)
    const patched = (write: (record: Buffer) => void) => {
      const copy = Buffer.from(good)
      write(copy)
      return copy
    }
    rejects(Buffer.from('short'), 'bytes')
    rejects(
      patched((record) => record.writeUInt8(2, 0)),
      'format 2',
    )
    rejects(
      patched((record) => record.writeUInt8(1, 1)),
      'tombstone',
    )
    rejects(
      patched((record) => record.writeDoubleBE(0, 2)),
      'version 0',
    )
    rejects(
      patched((record) => record.writeDoubleBE(1.5, 2)),
      'version 1.5',
    )
    rejects(
      patched((record) => record.writeDoubleBE(Number.NaN, 26)),
      'createdAt',
    )
    rejects(
      patched((record) => record.writeDoubleBE(1, 42)),
      'staleUntil',
    )
    rejects(
      patched((record) => record.writeDoubleBE(-1, 50)),
      'sliding',
    )
    rejects(good.subarray(0, HEADER_BYTES + 8), 'ends inside')
    const badTag = Buffer.from(good)
    badTag[HEADER_BYTES + 9] = 0xff
    rejects(badTag, 'UTF-8')
    rejects(
      patched((record) => record.fill(0xff, record.length - 4)),
      'CBOR',
    )
  })

  it('rejects a record of another serializer, naming both', () => {
    const record = encodeEntryRecord(sample({ value: { a: 1 } }), jsonSerializer())
    rejects(record, '"json" serializer; this cache uses "cbor"')
  })
})
