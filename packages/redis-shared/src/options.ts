import { CacheplaneError, type Duration, invalidOption, parseDuration } from '@cacheplane/core'

/** The options every Redis handle shares, whatever the client. */
export interface RedisHandleSharedOptions {
  /**
   * First part of every key: `<prefix>:{<cache name>.<bucket>}:...`. Letters,
   * digits, `_`, `.` and `-` only, so that no prefix can open a hash tag.
   * @default 'cacheplane'
   */
  prefix?: string
  /** This handle is the cache's backplane source (the layer every instance trusts). @default true */
  backplaneSource?: boolean
  /**
   * How long a deleted key remembers its last version (a tombstone), so that
   * a re-set gets a greater one; never longer than the deleted entry would
   * have lived. `0` turns tombstones off.
   * @default '1h'
   */
  tombstoneTtl?: Duration
}

/** The shared options after validation, as adapters pass them to `createRedisHandle`. */
export interface ResolvedRedisHandleOptions {
  readonly prefix: string
  readonly backplaneSource: boolean
  readonly tombstoneTtl: number
}

export const sharedOptionNames = ['prefix', 'backplaneSource', 'tombstoneTtl'] as const

const prefixPattern = /^[A-Za-z0-9_.-]{1,128}$/

export { invalidOption }

/** Rejects option names that neither the shared nor the adapter's own options know. */
export function rejectUnknownOptions(
  options: object,
  known: readonly string[],
  where: string,
): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Unknown option "${name}" of ${where}. Known options: ${known.join(', ')}.`,
      )
    }
  }
}

/** Validates the shared options once, at construction. */
export function resolveRedisHandleOptions(
  options: RedisHandleSharedOptions,
): ResolvedRedisHandleOptions {
  const prefix = options.prefix ?? 'cacheplane'
  if (typeof prefix !== 'string' || !prefixPattern.test(prefix)) {
    invalidOption('prefix', prefix, '1-128 characters of A-Z a-z 0-9 _ . -')
  }
  const backplaneSource = options.backplaneSource ?? true
  if (typeof backplaneSource !== 'boolean') {
    invalidOption('backplaneSource', backplaneSource, 'a boolean')
  }
  const tombstoneTtl =
    options.tombstoneTtl === undefined
      ? 3_600_000
      : parseDuration(options.tombstoneTtl, 'tombstoneTtl')
  return { prefix, backplaneSource, tombstoneTtl }
}
