import { Decoder, Encoder } from 'cbor-x'
import { CacheplaneError } from './errors.js'

/**
 * Turns values into bytes for distributed handles, and back. In-process
 * handles never serialize: they keep the live object.
 */
export interface Serializer {
  /** Stored with each entry so that a reader can tell which serializer wrote it. */
  readonly name: string
  serialize(value: unknown): Uint8Array
  deserialize(bytes: Uint8Array): unknown
}

/**
 * CBOR through cbor-x, the default. Keeps `Date`, `Map`, `Set`, typed arrays,
 * `bigint` and `undefined` intact. Decoding never assigns a prototype: cbor-x
 * renames a `__proto__` map key to `__proto_`.
 */
export function cborSerializer(): Serializer {
  const encoder = new Encoder({ useRecords: false, tagUint8Array: true })
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
  return {
    name: 'cbor',
    serialize(value) {
      try {
        return encoder.encode(value)
      } catch (error) {
        throw new CacheplaneError(
          'E_SERIALIZATION',
          'The CBOR serializer could not encode the value.',
          {
            cause: error,
          },
        )
      }
    },
    deserialize(bytes) {
      try {
        return decoder.decode(bytes)
      } catch (error) {
        throw new CacheplaneError('E_SERIALIZATION', 'Stored bytes are not valid CBOR.', {
          cause: error,
        })
      }
    },
  }
}

/**
 * JSON, for values that must be readable by other tools. `Date` becomes a string,
 * `undefined` in objects is dropped, `bigint` throws `E_SERIALIZATION`.
 */
export function jsonSerializer(): Serializer {
  const encoder = new TextEncoder()
  const decoder = new TextDecoder('utf-8', { fatal: true })
  return {
    name: 'json',
    serialize(value) {
      try {
        return encoder.encode(JSON.stringify(value) ?? 'null')
      } catch (error) {
        throw new CacheplaneError(
          'E_SERIALIZATION',
          'The JSON serializer could not encode the value.',
          {
            cause: error,
          },
        )
      }
    },
    deserialize(bytes) {
      try {
        // JSON.parse makes "__proto__" an own property; drop it so that no later spread or merge can misuse it.
        return JSON.parse(decoder.decode(bytes), (key, value) =>
          key === '__proto__' ? undefined : value,
        )
      } catch (error) {
        throw new CacheplaneError('E_SERIALIZATION', 'Stored bytes are not valid JSON.', {
          cause: error,
        })
      }
    },
  }
}
