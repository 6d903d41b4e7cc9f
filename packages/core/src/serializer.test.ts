import { describe, expect, it } from 'vitest'
import { cborSerializer, jsonSerializer } from './serializer.js'

describe('serializers', () => {
  it('cbor round-trips rich values', () => {
    const serializer = cborSerializer()
    const value = {
      date: new Date(1_700_000_000_000),
      map: new Map([['a', 1]]),
      set: new Set([1, 2]),
      bytes: new Uint8Array([0, 255]),
      big: 2n ** 70n,
      nested: [{ unicode: 'żółw 🐢' }, null],
    }
    expect(serializer.deserialize(serializer.serialize(value))).toEqual(value)
  })

  it('cbor never assigns a prototype from data', () => {
    const serializer = cborSerializer()
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')
    const decoded = serializer.deserialize(serializer.serialize(hostile)) as Record<string, unknown>
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(decoded.polluted).toBeUndefined()
  })

  it('json round-trips plain values and drops __proto__ keys', () => {
    const serializer = jsonSerializer()
    expect(serializer.deserialize(serializer.serialize({ a: [1, 'x', null] }))).toEqual({
      a: [1, 'x', null],
    })
    const decoded = serializer.deserialize(
      new TextEncoder().encode('{"__proto__": {"x": 1}, "b": 2}'),
    )
    expect(decoded).toEqual({ b: 2 })
    expect(Object.hasOwn(decoded as object, '__proto__')).toBe(false)
  })

  it('garbage bytes are E_SERIALIZATION', () => {
    expect(() => jsonSerializer().deserialize(new Uint8Array([0xff, 0xfe]))).toThrow(
      expect.objectContaining({ code: 'E_SERIALIZATION' }),
    )
    expect(() => cborSerializer().deserialize(new Uint8Array([0x9f]))).toThrow(
      expect.objectContaining({ code: 'E_SERIALIZATION' }),
    )
    expect(() => jsonSerializer().serialize(1n)).toThrow(
      expect.objectContaining({ code: 'E_SERIALIZATION' }),
    )
  })
})
