import type { CacheHandle } from '@cacheplane/core'
import { referenceHandle } from '../../examples/reference-handle.js'

/** Overrides some methods of a fresh reference handle. */
export function mutant(
  change: (inner: CacheHandle) => Partial<CacheHandle>,
  options: Parameters<typeof referenceHandle>[0] = {},
) {
  return () => {
    const inner = referenceHandle(options)
    return { handle: { ...bind(inner), ...change(inner) } as CacheHandle }
  }
}

function bind(handle: CacheHandle): CacheHandle {
  const bound: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(handle)) {
    bound[name] = typeof value === 'function' ? value.bind(handle) : value
  }
  return bound as unknown as CacheHandle
}
