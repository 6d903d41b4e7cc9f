import { CacheplaneError, describeValue } from './errors.js'
import { type ResolvedEntryOptions, resolveEntryOptions, type SetOptions } from './options.js'
import { utf8Length } from './protocol/utf8.js'

const writeOptionNames = new Set([
  'region',
  'skipBackplane',
  'skipL2',
  'ttl',
  'sliding',
  'grace',
  'tags',
])

/** A key (and region, when given) the cache accepts: non-empty strings up to `maxLength`. */
export function isValidKey(key: unknown, region: unknown, maxLength: number): boolean {
  return (
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= maxLength &&
    (region === undefined || isValidRegion(region, maxLength))
  )
}

export function isValidRegion(region: unknown, maxLength: number): region is string {
  return typeof region === 'string' && region.length > 0 && region.length <= maxLength
}

/**
 * Keys that are written travel in backplane frames as UTF-8, so they must be
 * well-formed (no lone surrogate). Checked on writes only: a read sends nothing.
 */
export function isWellFormedKey(key: string, region: string | undefined): boolean {
  return utf8Length(key) >= 0 && (region === undefined || utf8Length(region) >= 0)
}

/** The error for a call whose key or region {@link isValidKey} refused. */
export function invalidKeyError(key: unknown, region: unknown, maxLength: number): CacheplaneError {
  if (typeof key === 'string' && isValidKey(key, region, maxLength)) {
    return new CacheplaneError(
      'E_INVALID_KEY',
      'Invalid key or region: it holds a lone UTF-16 surrogate, which cannot be sent to other instances; expected a well-formed string.',
    )
  }
  if (region !== undefined && !isValidRegion(region, maxLength)) {
    return new CacheplaneError(
      'E_INVALID_KEY',
      `Invalid region: got ${describeValue(region)}, expected a non-empty string of at most ${maxLength} characters.`,
    )
  }
  return new CacheplaneError(
    'E_INVALID_KEY',
    `Invalid key: got ${describeValue(key)}, expected a non-empty string of at most ${maxLength} characters.`,
  )
}

export function closedError(): CacheplaneError {
  return new CacheplaneError('E_CLOSED', 'The cache is closed; create a new one to go on.')
}

export function invalidArgument(name: string, value: unknown, expected: string): CacheplaneError {
  return new CacheplaneError(
    'E_INVALID_OPTION',
    `Invalid ${name}: got ${describeValue(value)}, expected ${expected}.`,
  )
}

/** Per-call write options: unknown names rejected, durations parsed, defaults filled in. */
export function resolveWriteOptions(
  options: SetOptions | undefined,
  defaults: ResolvedEntryOptions,
): ResolvedEntryOptions {
  if (options === undefined) return defaults
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('options', options, 'an options object')
  }
  for (const name of Object.keys(options)) {
    if (!writeOptionNames.has(name)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Unknown option "${name}". Known options: ${[...writeOptionNames].join(', ')}.`,
      )
    }
  }
  return resolveEntryOptions(options, defaults)
}
