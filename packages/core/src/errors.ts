const marker = Symbol.for('cacheplane.error')

/**
 * Every error code cacheplane raises. Codes are stable: match on them, not on messages.
 */
export type CacheplaneErrorCode =
  | 'E_INVALID_OPTION'
  | 'E_INVALID_KEY'
  | 'E_INVALID_VALUE'
  | 'E_CLOSED'
  | 'E_BACKPLANE_DECODE'
  | 'E_BACKPLANE_PUBLISH'
  | 'E_BACKPLANE_TRANSPORT'
  | 'E_L2_UNAVAILABLE'
  | 'E_HANDLE'
  | 'E_SERIALIZATION'
  | 'E_FACTORY_TIMEOUT'
  | 'E_UPDATE_CONFLICT'
  | 'E_UNSUPPORTED'

export interface CacheplaneErrorOptions {
  cause?: unknown
}

/**
 * The one error type cacheplane throws or reports. `code` says what went wrong;
 * `cause` holds the underlying error when there is one.
 *
 * Use {@link CacheplaneError.isInstance} rather than `instanceof`: it also
 * recognises errors from a second copy of `@cacheplane/core` in `node_modules`.
 *
 * @example
 * try { await cache.get(key) } catch (error) {
 *   if (CacheplaneError.isInstance(error) && error.code === 'E_L2_UNAVAILABLE') { ... }
 * }
 */
export class CacheplaneError extends Error {
  /** @internal Recognises cacheplane errors across copies of the package. */
  readonly [marker] = true
  override readonly name: string = 'CacheplaneError'
  readonly code: CacheplaneErrorCode

  constructor(code: CacheplaneErrorCode, message: string, options: CacheplaneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }

  /** True for any cacheplane error, whichever copy of the package created it. */
  static isInstance(error: unknown): error is CacheplaneError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as { [marker]?: unknown })[marker] === true
    )
  }

  /** True when `error` is a cacheplane error with the given code. */
  static hasCode(error: unknown, code: CacheplaneErrorCode): error is CacheplaneError {
    return CacheplaneError.isInstance(error) && error.code === code
  }
}

/** Describes a value for an error message: its type and, when short, the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`
  return typeof value === 'object' ? 'an object' : typeof value
}

/**
 * Throws `E_INVALID_OPTION` naming the option, what was given and what was
 * expected. For adapter authors: options are checked once, at construction.
 *
 * @example invalidOption('maxEntries', -1, 'a positive integer')
 * // Invalid option "maxEntries": got number -1, expected a positive integer.
 */
export function invalidOption(option: string, value: unknown, expected: string): never {
  throw new CacheplaneError(
    'E_INVALID_OPTION',
    `Invalid option "${option}": got ${describeValue(value)}, expected ${expected}.`,
  )
}
