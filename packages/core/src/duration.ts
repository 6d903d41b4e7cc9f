import { invalidOption } from './errors.js'

/**
 * A duration: milliseconds as a number, or a string such as `'250ms'`, `'5s'`,
 * `'10m'`, `'1h'`, `'1d'` (decimals allowed: `'1.5h'`).
 */
export type Duration = number | `${number}${DurationUnit}` | `${number}`

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd'

const unitMilliseconds: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const pattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/

/**
 * Parses a {@link Duration} into whole milliseconds. `option` names the option
 * in the `E_INVALID_OPTION` error thrown for anything that is not a finite,
 * non-negative duration.
 *
 * @example parseDuration('5m', 'ttl') // 300000
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value)
    return invalidOption(option, value, 'a finite number of milliseconds >= 0')
  }
  if (typeof value === 'string') {
    const match = pattern.exec(value.trim())
    if (match) {
      const amount = Number(match[1])
      const unit = (match[2] ?? 'ms') as DurationUnit
      const milliseconds = Math.round(amount * unitMilliseconds[unit])
      if (Number.isFinite(milliseconds)) return milliseconds
    }
  }
  return invalidOption(
    option,
    value,
    "a duration: milliseconds as a number, or a string like '500ms', '5s', '10m', '1h', '1d'",
  )
}

/** Like {@link parseDuration}, but `undefined` gives `fallback`. */
export function parseOptionalDuration(value: unknown, option: string, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, option)
}
