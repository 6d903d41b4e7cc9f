import { CacheplaneError, describeValue } from '@cacheplane/core'

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Redis stores UTF-8, where two strings with different lone surrogates would encode alike. */
export function hasLoneSurrogate(text: string): boolean {
  return loneSurrogate.test(text)
}

function invalidArgument(what: string, value: unknown, expected: string): CacheplaneError {
  return new CacheplaneError(
    'E_INVALID_OPTION',
    `Invalid ${what}: got ${describeValue(value)}, expected ${expected}.`,
  )
}

/** Throws `E_INVALID_OPTION` unless `tags` is an array of non-empty, well-formed strings. */
export function assertTags(tags: unknown, operation: string): asserts tags is readonly string[] {
  if (!Array.isArray(tags)) {
    throw invalidArgument(
      `tags of ${operation}`,
      tags,
      'an array of non-empty, well-formed strings',
    )
  }
  tags.forEach((tag: unknown, index) => {
    if (typeof tag !== 'string' || tag === '' || hasLoneSurrogate(tag)) {
      throw invalidArgument(
        `tag at index ${index} of ${operation}`,
        tag,
        'a non-empty string without lone surrogates',
      )
    }
  })
}

/** Throws `E_INVALID_OPTION` unless `owner` is a non-empty, well-formed string. */
export function assertLockOwner(owner: unknown, operation: string): asserts owner is string {
  if (typeof owner !== 'string' || owner === '' || hasLoneSurrogate(owner)) {
    throw invalidArgument(
      `owner of ${operation}`,
      owner,
      'a non-empty string without lone surrogates',
    )
  }
}

/** Throws `E_INVALID_OPTION` unless `leaseMs` is a positive whole number of ms. */
export function assertLease(leaseMs: unknown, operation: string): asserts leaseMs is number {
  if (typeof leaseMs !== 'number' || !Number.isSafeInteger(leaseMs) || leaseMs < 1) {
    throw invalidArgument(`leaseMs of ${operation}`, leaseMs, 'a positive whole number of ms')
  }
}
