import { type CacheEntry, CacheplaneError, cborSerializer, jsonSerializer } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import {
  decodeEntryRecord,
  encodeEntryRecord,
  HEADER_BYTES,
  TAGGED_HEADER_BYTES,
} from './entry-record.js'

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
      patched((record) => record.writeUInt8(3, 0)),
      'format 3 is unknown (expected 1 or 2)',
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

  it('writes format 1 without a tagVersion, or with 0, and reads it back without one', () => {
    for (const entry of [sample(), sample({ tagVersion: 0 })]) {
      const record = encodeEntryRecord(entry, serializer)
      expect(record[0]).toBe(1)
      expect(record[HEADER_BYTES]).toBe(4)
      const { tagVersion: _, ...withoutTagVersion } = entry
      const decoded = decodeEntryRecord(record, serializer)
      expect(decoded).toEqual(withoutTagVersion)
      expect('tagVersion' in decoded).toBe(false)
    }
  })

  it('writes format 2 for a tagVersion above 0: the format 1 header, then tagVersion', () => {
    const entry = sample({ tagVersion: 12 })
    const record = encodeEntryRecord(entry, serializer)
    const untagged = encodeEntryRecord(sample(), serializer)
    expect(record[0]).toBe(2)
    expect(record.length).toBe(untagged.length + 8)
    // The first 58 bytes, which the scripts read and patch, sit where format 1 has them.
    expect(record.subarray(1, HEADER_BYTES)).toEqual(untagged.subarray(1, HEADER_BYTES))
    expect(record.readDoubleBE(HEADER_BYTES)).toBe(12)
    expect(record.subarray(TAGGED_HEADER_BYTES)).toEqual(untagged.subarray(HEADER_BYTES))
    expect(decodeEntryRecord(record, serializer)).toEqual(entry)
    const large = sample({ tagVersion: Number.MAX_SAFE_INTEGER, tags: [] })
    expect(decodeEntryRecord(encodeEntryRecord(large, serializer), serializer)).toEqual(large)
  })

  it('reads format 1 records as adapters before format 2 wrote them', () => {
    // encodeEntryRecord of the previous release, JSON serializer.
    const written =
      '0100400800000000000000000000000000000000000000000000408f400000000000409f4000000000' +
      '0040a77000000000000000000000000000046a736f6e00010001747b2261223a317d'
    expect(decodeEntryRecord(Buffer.from(written, 'hex'), jsonSerializer())).toEqual({
      value: { a: 1 },
      version: 3,
      createdAt: 1_000,
      expiresAt: 2_000,
      staleUntil: 3_000,
      sliding: 0,
      tags: ['t'],
    })
    const rewritten = encodeEntryRecord(
      {
        value: { a: 1 },
        version: 3,
        createdAt: 1_000,
        expiresAt: 2_000,
        staleUntil: 3_000,
        sliding: 0,
        tags: ['t'],
      },
      jsonSerializer(),
    )
    expect(rewritten.toString('hex')).toBe(written)
  })

  it('rejects a format 2 record with a bad tagVersion or cut short', () => {
    const good = encodeEntryRecord(sample({ tagVersion: 3 }), serializer)
    for (const bad of [Number.NaN, -1, 1.5, 2 ** 53]) {
      const record = Buffer.from(good)
      record.writeDoubleBE(bad, HEADER_BYTES)
      rejects(record, `tagVersion ${bad}`)
    }
    rejects(good.subarray(0, TAGGED_HEADER_BYTES + 2), 'bytes')
  })

  it('refuses to encode a tagVersion that is not a whole number from 0', () => {
    for (const tagVersion of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown
      try {
        encodeEntryRecord(sample({ tagVersion }), serializer)
      } catch (error) {
        caught = error
      }
      expect(CacheplaneError.hasCode(caught, 'E_SERIALIZATION')).toBe(true)
      expect((caught as Error).message).toContain(`tagVersion ${tagVersion}`)
    }
  })
})
