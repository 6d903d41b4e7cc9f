// A copy of the memory handle's code paths (src/memory-handle.ts) over any
// store with lru-cache's get/peek/set/delete/clear, without regions or
// maxBytes: enough for a cache's L1 hits in handle-hit.mjs. Imported once per
// store (with a different `?store=` query) so that each copy sees one store
// class. Not the handle: a stand-in to measure the swap before integrating it.
import { slide } from '@cacheplane/core'

const capabilities = Object.freeze({ distributed: false, ttlPrecision: 1, cas: true, batch: true })

export function handleCopy(store) {
  return new HandleCopy(store)
}

class HandleCopy {
  specificationVersion = 'v1'
  kind = 'memory'
  capabilities = capabilities
  backplaneSource = false
  #lru
  #lastVersion = 0

  constructor(store) {
    this.#lru = store
  }

  get size() {
    return this.#lru.size
  }

  attach() {}

  get(key, region, now) {
    if (region === undefined) return this.#read(key, now)
    throw new Error('regions are not part of this copy')
  }

  peek(key) {
    const entry = this.#lru.peek(key)
    if (entry === undefined || Date.now() >= entry.staleUntil) return undefined
    return entry
  }

  set(key, _region, entry) {
    if (entry.version === 0) entry.version = ++this.#lastVersion
    else if (entry.version > this.#lastVersion) this.#lastVersion = entry.version
    if (entry.staleUntil !== Number.POSITIVE_INFINITY && Date.now() >= entry.staleUntil) {
      this.#lru.delete(key)
    } else {
      this.#lru.set(key, entry)
    }
    return entry.version
  }

  add(key, region, entry) {
    const current = this.#lru.peek(key)
    if (current !== undefined && current.expiresAt > Date.now()) return undefined
    return this.set(key, region, entry)
  }

  delete(key) {
    const entry = this.#lru.peek(key)
    if (entry === undefined) return false
    this.#lru.delete(key)
    return Date.now() < entry.staleUntil
  }

  expire(key, _region, now) {
    const entry = this.#lru.peek(key)
    if (entry === undefined || now >= entry.staleUntil) return false
    if (entry.expiresAt > now) entry.expiresAt = now
    return true
  }

  clear() {
    this.#lru.clear()
  }

  clearRegion() {}

  close() {
    this.clear()
  }

  #read(key, now) {
    const entry = this.#lru.get(key)
    if (entry === undefined) return undefined
    if (entry.staleUntil === Number.POSITIVE_INFINITY && entry.sliding <= 0) return entry
    const time = now ?? Date.now()
    if (time >= entry.staleUntil) {
      this.#lru.delete(key)
      return undefined
    }
    if (entry.sliding > 0 && entry.expiresAt > time) slide(entry, time)
    return entry
  }
}
