import { CacheplaneError } from '@cacheplane/core'

/** Throws `E_INVALID_OPTION` for an option the suite does not know (a typo would silently skip tests). */
export function rejectUnknownOptions(
  suite: string,
  options: object,
  known: readonly string[],
): void {
  if (typeof options !== 'object' || options === null) {
    throw new CacheplaneError('E_INVALID_OPTION', `${suite}: options must be an object.`)
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `${suite}: unknown option "${name}". Known options: ${known.join(', ')}.`,
      )
    }
  }
}

export function requireOption(suite: string, name: string, value: unknown, expected: string): void {
  const valid =
    expected === 'a function'
      ? typeof value === 'function'
      : typeof value === 'string' && value !== ''
  if (!valid) {
    throw new CacheplaneError('E_INVALID_OPTION', `${suite}: option "${name}" must be ${expected}.`)
  }
}

/**
 * The groups to run: `only` when given, else all, minus `skip`. Unknown group
 * names throw, so that `only: ['tll']` cannot pass by running nothing.
 */
export function selectGroups<G extends string>(
  suite: string,
  all: readonly G[],
  only: readonly string[] | undefined,
  skip: readonly string[] | undefined,
): Set<G> {
  for (const [option, list] of [
    ['only', only],
    ['skip', skip],
  ] as const) {
    if (list === undefined) continue
    if (!Array.isArray(list)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `${suite}: option "${option}" must be an array of group names.`,
      )
    }
    for (const group of list) {
      if (!all.includes(group as G)) {
        throw new CacheplaneError(
          'E_INVALID_OPTION',
          `${suite}: option "${option}" names an unknown group "${group}". Groups: ${all.join(', ')}.`,
        )
      }
    }
  }
  const selected = new Set<G>((only ?? all) as readonly G[])
  for (const group of skip ?? []) selected.delete(group as G)
  return selected
}

/** A name no earlier test used, so that tests sharing one store never see each other's keys. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}
