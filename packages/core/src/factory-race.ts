import { CacheplaneError } from './errors.js'

/** How a factory call ended, as far as the caller waiting for it is concerned. */
export type FactoryOutcome<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'softTimeout' }
  | { readonly kind: 'hardTimeout' }

/**
 * Waits for a factory call, but not longer than the timeouts: `soft` applies
 * only when a stale value can stand in (`haveStale`), `hard` always. The call
 * itself goes on after a timeout (the caller decides what to do with a late
 * result). Timers are cleared as soon as the race is decided.
 * @internal
 */
export function raceFactory<T>(
  call: Promise<T>,
  soft: number | undefined,
  hard: number | undefined,
  haveStale: boolean,
): Promise<FactoryOutcome<T>> {
  const useSoft = soft !== undefined && haveStale
  if (!useSoft && hard === undefined) {
    return call.then(
      (value) => ({ kind: 'value', value }),
      (error: unknown) => ({ kind: 'failed', error }),
    )
  }
  return new Promise((resolve) => {
    let softTimer: NodeJS.Timeout | undefined
    let hardTimer: NodeJS.Timeout | undefined
    const settle = (outcome: FactoryOutcome<T>) => {
      clearTimeout(softTimer)
      clearTimeout(hardTimer)
      resolve(outcome)
    }
    if (useSoft) softTimer = setTimeout(() => settle({ kind: 'softTimeout' }), soft)
    if (hard !== undefined) hardTimer = setTimeout(() => settle({ kind: 'hardTimeout' }), hard)
    call.then(
      (value) => settle({ kind: 'value', value }),
      (error: unknown) => settle({ kind: 'failed', error }),
    )
  })
}

export function factoryTimeoutError(key: string, hard: number): CacheplaneError {
  return new CacheplaneError(
    'E_FACTORY_TIMEOUT',
    `The factory for "${key}" did not answer within the hard timeout (${hard}ms) and no stale value was available. It goes on in the background; its result is stored when it lands.`,
  )
}
