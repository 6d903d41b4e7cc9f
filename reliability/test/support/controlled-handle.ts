import type { CacheEntry, CacheHandle } from '@cacheplane/core'

/**
 * One instance's view of a shared store, with the faults a network adds:
 * replies held back (read now, delivered later) and calls that fail.
 */
export function controlledHandle(inner: CacheHandle) {
  let gate: Promise<void> | undefined
  let open = () => {}
  let failing = false
  const guard = () => {
    if (failing) throw new Error('test: the store cannot be reached')
  }
  const handle: CacheHandle = {
    specificationVersion: 'v1',
    kind: 'controlled',
    capabilities: inner.capabilities,
    backplaneSource: true,
    attach: (context) => inner.attach(context),
    get: async (key, region) => {
      guard()
      const entry: CacheEntry | undefined = await inner.get(key, region)
      await gate
      return entry
    },
    set: async (key, region, entry) => {
      guard()
      return inner.set(key, region, entry)
    },
    add: async (key, region, entry) => {
      guard()
      return inner.add(key, region, entry)
    },
    delete: async (key, region) => {
      guard()
      return inner.delete(key, region)
    },
    expire: async (key, region, now) => {
      guard()
      return inner.expire(key, region, now)
    },
    clear: () => inner.clear(),
    clearRegion: (region) => inner.clearRegion(region),
    close: () => inner.close(),
  }
  return {
    handle,
    /** Replies to gets from now on wait until `release`. */
    hold() {
      gate = new Promise((resolve) => {
        open = resolve
      })
    },
    release() {
      open()
      gate = undefined
    },
    fail(value: boolean) {
      failing = value
    },
  }
}
