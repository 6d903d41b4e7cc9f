/** No slot: the end of the list, or of the free list. */
const NONE = -1
/** Slots reserved by the first insert; the arrays double from there up to `maxEntries`. */
const INITIAL_CAPACITY = 16

/** @internal */
export interface CompactLruOptions<K, V> {
  /** Most entries kept; a set past it drops the least recently used one. */
  maxEntries: number
  /** Most bytes kept, summing the sizes given to `set`; `undefined`: no byte limit. */
  maxBytes?: number | undefined
  /**
   * Called after an entry was dropped to make room (by `maxEntries` or
   * `maxBytes`), not for `delete`, `clear` or a replacement under the same key.
   */
  onEvict?: ((key: K, value: V) => void) | undefined
}

/**
 * A least-recently-used map for the memory handle, in place of `lru-cache`:
 * a `Map` from key to slot, and per slot its key, its value and its links in
 * the recency list, held in parallel arrays (the links in typed arrays). A
 * promotion is four writes to small integer arrays; `get` and `peek` allocate
 * nothing; the values are stored as given, with no fields added to them.
 *
 * It has no clock: the handle checks an entry's physical expiry when it reads
 * it and deletes a dead one, and entries left unread go out by recency.
 * See docs/decisions/0009-memory-handle-own-lru.md for why the links are not
 * kept on the entry objects.
 *
 * @example
 * const lru = new CompactLru<string, CacheEntry>({ maxEntries: 10_000 })
 * lru.set('a', entry)
 * lru.get('a') // entry, now the most recently used
 * @internal
 */
export class CompactLru<K, V> {
  readonly #maxEntries: number
  readonly #maxBytes: number | undefined
  readonly #onEvict: ((key: K, value: V) => void) | undefined
  readonly #slots = new Map<K, number>()
  #keys: (K | undefined)[] = []
  #values: (V | undefined)[] = []
  /** Towards the more recently used end. */
  #previous = new Int32Array(0)
  /** Towards the less recently used end; in a free slot, the next free slot. */
  #next = new Int32Array(0)
  /** Bytes per slot, only with `maxBytes`. */
  #sizes: Float64Array | undefined = undefined
  /** Slots handed out so far; the arrays hold `#capacity`. */
  #used = 0
  #capacity = 0
  #freeSlot = NONE
  /** The most recently used slot. */
  #head = NONE
  /** The least recently used slot, the next one evicted. */
  #tail = NONE
  #bytes = 0

  constructor(options: CompactLruOptions<K, V>) {
    this.#maxEntries = options.maxEntries
    this.#maxBytes = options.maxBytes
    this.#onEvict = options.onEvict
  }

  get size(): number {
    return this.#slots.size
  }

  /** The sum of the sizes of the entries held (0 without `maxBytes`). */
  get bytes(): number {
    return this.#bytes
  }

  /** The value under `key`, made the most recently used. */
  get(key: K): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (slot !== this.#head) this.#promote(slot)
    return this.#values[slot]
  }

  /** The value under `key`, leaving the order alone. */
  peek(key: K): V | undefined {
    const slot = this.#slots.get(key)
    return slot === undefined ? undefined : this.#values[slot]
  }

  /**
   * Stores `value` under `key` as the most recently used, then evicts from the
   * least recently used end until both limits hold. With `maxBytes`, `size` is
   * the entry's positive size; an entry larger than `maxBytes` is not kept and
   * whatever `key` held is deleted: then it returns false.
   */
  set(key: K, value: V, size = 0): boolean {
    const maxBytes = this.#maxBytes
    if (maxBytes !== undefined && size > maxBytes) {
      this.delete(key)
      return false
    }
    let slot = this.#slots.get(key)
    if (slot === undefined) {
      if (this.#slots.size >= this.#maxEntries) this.#evict()
      slot = this.#allocate()
      this.#keys[slot] = key
      this.#values[slot] = value
      this.#linkFirst(slot)
      this.#slots.set(key, slot)
    } else {
      this.#values[slot] = value
      if (slot !== this.#head) this.#promote(slot)
    }
    const sizes = this.#sizes
    if (sizes !== undefined) {
      this.#bytes += size - sizes[slot]!
      sizes[slot] = size
      // The entry just set is the head and fits, so this stops before reaching it.
      while (this.#bytes > maxBytes!) this.#evict()
    }
    return true
  }

  /** Removes `key`; true if it was held. */
  delete(key: K): boolean {
    const slot = this.#slots.get(key)
    if (slot === undefined) return false
    this.#slots.delete(key)
    this.#unlink(slot)
    this.#release(slot)
    return true
  }

  /** Removes everything and gives the slot arrays back. */
  clear(): void {
    this.#slots.clear()
    this.#keys = []
    this.#values = []
    this.#previous = new Int32Array(0)
    this.#next = new Int32Array(0)
    this.#sizes = undefined
    this.#used = 0
    this.#capacity = 0
    this.#freeSlot = NONE
    this.#head = NONE
    this.#tail = NONE
    this.#bytes = 0
  }

  /** Keys and values from the most to the least recently used. */
  *entries(): Generator<[K, V], void, undefined> {
    let slot = this.#head
    for (let left = this.#slots.size; left > 0; left--) {
      yield [this.#keys[slot] as K, this.#values[slot] as V]
      slot = this.#next[slot]!
    }
  }

  #promote(slot: number): void {
    const previous = this.#previous
    const next = this.#next
    const before = previous[slot]!
    const after = next[slot]!
    // Not the head, so `before` is a slot.
    next[before] = after
    if (slot === this.#tail) this.#tail = before
    else previous[after] = before
    previous[slot] = NONE
    next[slot] = this.#head
    previous[this.#head] = slot
    this.#head = slot
  }

  #linkFirst(slot: number): void {
    this.#previous[slot] = NONE
    this.#next[slot] = this.#head
    if (this.#head === NONE) this.#tail = slot
    else this.#previous[this.#head] = slot
    this.#head = slot
  }

  #unlink(slot: number): void {
    const before = this.#previous[slot]!
    const after = this.#next[slot]!
    if (before === NONE) this.#head = after
    else this.#next[before] = after
    if (after === NONE) this.#tail = before
    else this.#previous[after] = before
  }

  #evict(): void {
    const slot = this.#tail
    const key = this.#keys[slot] as K
    const value = this.#values[slot] as V
    this.#slots.delete(key)
    this.#unlink(slot)
    this.#release(slot)
    this.#onEvict?.(key, value)
  }

  /** Clears a slot (so that its key and value can be collected) and puts it on the free list. */
  #release(slot: number): void {
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    if (this.#sizes !== undefined) {
      this.#bytes -= this.#sizes[slot]!
      this.#sizes[slot] = 0
    }
    this.#next[slot] = this.#freeSlot
    this.#freeSlot = slot
  }

  #allocate(): number {
    const free = this.#freeSlot
    if (free !== NONE) {
      this.#freeSlot = this.#next[free]!
      return free
    }
    if (this.#used === this.#capacity) this.#grow()
    return this.#used++
  }

  /**
   * Doubles the slot arrays, up to `maxEntries`: a handle sized generously
   * pays for the entries it holds, not for its limit.
   */
  #grow(): void {
    const capacity = Math.min(this.#maxEntries, Math.max(INITIAL_CAPACITY, this.#capacity * 2))
    const keys = new Array<K | undefined>(capacity).fill(undefined)
    const values = new Array<V | undefined>(capacity).fill(undefined)
    for (let slot = 0; slot < this.#used; slot++) {
      keys[slot] = this.#keys[slot]
      values[slot] = this.#values[slot]
    }
    this.#keys = keys
    this.#values = values
    this.#previous = grown(this.#previous, capacity)
    this.#next = grown(this.#next, capacity)
    if (this.#maxBytes !== undefined) {
      const sizes = new Float64Array(capacity)
      if (this.#sizes !== undefined) sizes.set(this.#sizes)
      this.#sizes = sizes
    }
    this.#capacity = capacity
  }
}

function grown(array: Int32Array<ArrayBuffer>, capacity: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(capacity)
  larger.set(array)
  return larger
}
