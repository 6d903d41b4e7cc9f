import { CacheplaneError, describeValue, invalidOption } from '@cacheplane/core'

export { describeValue, invalidOption }

/** Rejects keys of `given` that are not in `known`; `where` prefixes nested option names. */
export function rejectUnknownOptions(given: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Unknown option "${where}${name}". Known options: ${known.join(', ')}.`,
      )
    }
  }
}

/** `value` as an options object, `{}` for `undefined`. */
export function optionsObject(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalidOption(option, value, 'an options object')
  }
  return value as Record<string, unknown>
}

export function positiveInteger(value: unknown, option: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  return invalidOption(option, value, 'a positive integer')
}

/** A probability: a number from 0 to 1. */
export function rate(value: unknown, option: string): number {
  if (typeof value === 'number' && value >= 0 && value <= 1) return value
  return invalidOption(option, value, 'a number from 0 to 1')
}
