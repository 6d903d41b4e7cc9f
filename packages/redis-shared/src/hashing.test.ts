import { describe, expect, it } from 'vitest'
import { fnv1a32, slotOf } from './hashing.js'

function fnvOfBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193)
  return hash >>> 0
}

describe('slotOf', () => {
  it('matches CLUSTER KEYSLOT of Redis 7.0', () => {
    // Values read from a cluster-enabled redis-server 7.0.15.
    const expected: [string, number][] = [
      ['123456789', 12739],
      ['foo', 12182],
      ['{user1000}.following', 3443],
      ['foo{}{bar}', 8363],
      ['foo{{bar}}zap', 4015],
      ['foo{bar}{zap}', 5061],
      ['ünïcode', 6051],
      ['😀', 2959],
    ]
    for (const [key, slot] of expected) expect(slotOf(key), key).toBe(slot)
  })
})

describe('fnv1a32', () => {
  it('matches the reference vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
  })

  it('hashes the UTF-8 bytes that Buffer would write, lone surrogates included', () => {
    const samples = [
      'ünï',
      '😀 ok',
      'ř'.repeat(50),
      '\uD800',
      'a\uDC00b',
      '\uD83D\uDE00\uD83D',
      '中文',
    ]
    for (const sample of samples) {
      expect(fnv1a32(sample), JSON.stringify(sample)).toBe(fnvOfBytes(Buffer.from(sample, 'utf8')))
    }
  })
})
