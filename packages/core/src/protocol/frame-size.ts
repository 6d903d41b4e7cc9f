import { CacheplaneError, type CacheplaneErrorCode, describeValue } from '../errors.js'
import type { Frame, Operation } from './frame.js'
import { utf8Length } from './utf8.js'
import {
  ENVELOPE_ITEMS,
  HEADER_BYTES,
  headSize,
  isCacheNameByte,
  MAX_CACHE_NAME_BYTES,
  MAX_SENDER_ID_BYTES,
} from './wire.js'

// Exact encoded sizes. Measuring also validates, so that encodeFrame can
// allocate the exact buffer once and write without checks.

/**
 * The most bytes a frame can need besides its operations: header, envelope,
 * the longest sender id and cache name, the largest epoch and sequence, and
 * an operations count of up to 2^32 - 1.
 */
export const MAX_FRAME_OVERHEAD_BYTES =
  HEADER_BYTES +
  headSize(ENVELOPE_ITEMS) +
  headSize(MAX_SENDER_ID_BYTES) +
  MAX_SENDER_ID_BYTES +
  headSize(Number.MAX_SAFE_INTEGER) * 2 +
  headSize(MAX_CACHE_NAME_BYTES) +
  MAX_CACHE_NAME_BYTES +
  headSize(0xffffffff)

/**
 * The exact bytes one operation takes in a frame. Throws what
 * {@link encodeFrame} would throw for it.
 *
 * @example
 * encodedOperationSize({ kind: 'removed', region: undefined, keys: ['p:1'] }) // 8
 */
export function encodedOperationSize(operation: Operation): number {
  return measureOperation(operation, -1)
}

/**
 * The bytes a frame of this sender and cache needs besides its operations,
 * assuming the largest epoch, sequence and operations count: a sender can
 * compute it once and budget `maxFrameBytes - frameOverheadBytes(...)` for
 * operations. Never more than {@link MAX_FRAME_OVERHEAD_BYTES} for valid names.
 */
export function frameOverheadBytes(senderId: string, cacheName: string): number {
  return (
    HEADER_BYTES +
    headSize(ENVELOPE_ITEMS) +
    measureSenderId(senderId) +
    headSize(Number.MAX_SAFE_INTEGER) * 2 +
    measureCacheName(cacheName) +
    headSize(0xffffffff)
  )
}

/** The exact length of `encodeFrame(frame)`, without encoding it. Throws what encodeFrame would. */
export function encodedFrameSize(frame: Frame): number {
  if (typeof frame !== 'object' || frame === null) {
    invalid('E_INVALID_VALUE', `the frame must be an object, got ${describeValue(frame)}`)
  }
  const operations = frame.operations
  if (!Array.isArray(operations)) {
    invalid('E_INVALID_VALUE', `operations must be an array, got ${describeValue(operations)}`)
  }
  let size =
    HEADER_BYTES +
    headSize(ENVELOPE_ITEMS) +
    measureSenderId(frame.senderId) +
    measureInteger(frame.epoch, 0, 'the epoch') +
    measureInteger(frame.sequence, 1, 'the sequence') +
    measureCacheName(frame.cacheName) +
    headSize(operations.length)
  for (let index = 0; index < operations.length; index++) {
    size += measureOperation(operations[index] as Operation, index)
  }
  return size
}

function measureOperation(operation: Operation, index: number): number {
  if (typeof operation !== 'object' || operation === null) {
    invalid(
      'E_INVALID_VALUE',
      `${operationName(index)} is ${describeValue(operation)}, not an operation`,
    )
  }
  switch (operation.kind) {
    case 'changed': {
      const { keys, versions } = operation
      const keysSize = measureStrings(keys, 'keys', 'key', index, operation.kind)
      if (!Array.isArray(versions) || versions.length !== keys.length) {
        invalid(
          'E_INVALID_VALUE',
          `${operationName(index, operation.kind)} has ${keys.length} keys but ${Array.isArray(versions) ? versions.length : describeValue(versions)} versions`,
        )
      }
      let versionsSize = headSize(versions.length)
      for (let item = 0; item < versions.length; item++) {
        const version: unknown = versions[item]
        if (!isIntegerFrom(version, 1)) {
          invalidInteger(version, 1, `version ${item} of ${operationName(index, operation.kind)}`)
        }
        versionsSize += headSize(version)
      }
      return 2 + measureRegion(operation.region, index, operation.kind) + keysSize + versionsSize
    }
    case 'removed':
    case 'expired':
      return (
        2 +
        measureRegion(operation.region, index, operation.kind) +
        measureStrings(operation.keys, 'keys', 'key', index, operation.kind)
      )
    case 'regionCleared':
      return 2 + measureStrings(operation.regions, 'regions', 'region', index, operation.kind)
    case 'tagsInvalidated':
      return 2 + measureStrings(operation.tags, 'tags', 'tag', index, operation.kind)
    case 'cleared':
    case 'heartbeat':
      return 2
    default:
      return invalid(
        'E_INVALID_VALUE',
        `${operationName(index)} has unknown kind ${describeValue((operation as { kind: unknown }).kind)}`,
      )
  }
}

function measureSenderId(senderId: unknown): number {
  const length = typeof senderId === 'string' ? utf8Length(senderId) : -1
  if (length < 1 || length > MAX_SENDER_ID_BYTES) {
    invalid(
      'E_INVALID_VALUE',
      `the sender id must be a string of 1-${MAX_SENDER_ID_BYTES} UTF-8 bytes, got ${describeValue(senderId)}`,
    )
  }
  return headSize(length) + length
}

function measureCacheName(cacheName: unknown): number {
  let valid = typeof cacheName === 'string' && cacheName.length >= 1
  if (valid) {
    const name = cacheName as string
    valid = name.length <= MAX_CACHE_NAME_BYTES
    for (let index = 0; valid && index < name.length; index++) {
      valid = isCacheNameByte(name.charCodeAt(index))
    }
  }
  if (!valid) {
    invalid(
      'E_INVALID_VALUE',
      `the cache name must be 1-${MAX_CACHE_NAME_BYTES} characters of A-Z a-z 0-9 _ . -, got ${describeValue(cacheName)}`,
    )
  }
  return headSize((cacheName as string).length) + (cacheName as string).length
}

function measureInteger(value: unknown, minimum: number, what: string): number {
  if (!isIntegerFrom(value, minimum)) invalidInteger(value, minimum, what)
  return headSize(value)
}

/** A safe integer, `minimum` or more: what the wire carries. */
function isIntegerFrom(value: unknown, minimum: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum
}

function invalidInteger(value: unknown, minimum: number, what: string): never {
  invalid(
    'E_INVALID_VALUE',
    `${what} must be an integer from ${minimum} to 2^53 - 1, got ${describeValue(value)}`,
  )
}

function measureRegion(region: unknown, index: number, kind: string): number {
  if (region === undefined) return 1
  const length = typeof region === 'string' ? utf8Length(region) : -1
  if (length < 0) invalidString(region, `the region of ${operationName(index, kind)}`)
  return headSize(length) + length
}

function measureStrings(
  list: unknown,
  listName: string,
  itemName: string,
  index: number,
  kind: string,
): number {
  if (!Array.isArray(list)) {
    invalid(
      'E_INVALID_VALUE',
      `${listName} of ${operationName(index, kind)} must be an array, got ${describeValue(list)}`,
    )
  }
  let size = headSize(list.length)
  for (let item = 0; item < list.length; item++) {
    const text: unknown = list[item]
    const length = typeof text === 'string' ? utf8Length(text) : -1
    if (length < 0) invalidString(text, `${itemName} ${item} of ${operationName(index, kind)}`)
    size += headSize(length) + length
  }
  return size
}

function invalidString(text: unknown, what: string): never {
  invalid(
    'E_INVALID_KEY',
    typeof text === 'string'
      ? `${what} holds a lone surrogate, which UTF-8 cannot encode`
      : `${what} must be a string, got ${describeValue(text)}`,
  )
}

function operationName(index: number, kind?: string): string {
  const name = index < 0 ? 'the operation' : `operation ${index}`
  return kind === undefined ? name : `${name} (${kind})`
}

function invalid(code: CacheplaneErrorCode, problem: string): never {
  throw new CacheplaneError(code, `Cannot encode the frame: ${problem}.`)
}
