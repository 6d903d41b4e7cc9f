/** Slot states; the hand reads them to skip, spare or evict. */
const FREE = 0
const HELD = 1
/** Held and read since the hand last passed. */
const REFERENCED = 2
/** No slot: the end of the free list. */
const NONE = -1
/** Slots reserved by the first insert; the arrays double from there up to `maxEntries`. */
const INITIAL_CAPACITY = 16

/** @internal */
export interface ClockCacheOptions<K, V> {
  /** Most entries kept; a set of a new key past it evicts one. */
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
 * The memory handle's store: a `Map` from key to slot, per slot its key,
 * value and state in parallel arrays, and CLOCK (second chance) eviction, an
 * approximation of LRU (decision 0009). A hit is one `Map.get` and one byte
 * written (the slot's reference bit); nothing is relinked and nothing is
 * allocated, and the values are stored as given, with no fields added.
 *
 * To make room, a hand goes round the slots: a slot read since the hand last
 * passed has its bit cleared and is spared, the first one not read since is
 * evicted; free slots are skipped. A new entry starts unread, and a
 * replacement keeps its slot and its bit: only reads count as use. Amortised
 * O(1) per eviction (each spared slot was paid for by a read); one eviction
 * can sweep every slot once when every entry has been read since the last
 * pass, and with `maxBytes` the hand also walks over slots freed by `delete`.
 *
 * It has no clock of time: the handle checks an entry's physical expiry when
 * it reads it and deletes a dead one; entries left unread go out first.
 *
 * @example
 * const store = new ClockCache<string, CacheEntry>({ maxEntries: 10_000 })
 * store.set('a', entry)
 * store.get('a') // entry, now spared by the next sweep
 * @internal
 */
export class ClockCache<K, V> {
  readonly #maxEntries: number
  readonly #maxBytes: number | undefined
  readonly #onEvict: ((key: K, value: V) => void) | undefined
  readonly #slots = new Map<K, number>()
  #keys: (K | undefined)[] = []
  #values: (V | undefined)[] = []
  /** FREE, HELD or REFERENCED per slot. */
  #states = new Uint8Array(0)
  /** In a free slot, the next free slot. */
  #nextFree = new Int32Array(0)
  /** Bytes per slot, only with `maxBytes`. */
  #sizes: Float64Array | undefined = undefined
  /** Slots handed out so far, the hand's round; the arrays hold `#capacity`. */
  #used = 0
  #capacity = 0
  #freeSlot = NONE
  /** The next slot the hand looks at. */
  #hand = 0
  #bytes = 0

  constructor(options: ClockCacheOptions<K, V>) {
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

  /** The value under `key`, marked as read so that the next sweep spares it. */
  get(key: K): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    this.#states[slot] = REFERENCED
    return this.#values[slot]
  }

  /** The value under `key`, leaving its mark alone. */
  peek(key: K): V | undefined {
    const slot = this.#slots.get(key)
    return slot === undefined ? undefined : this.#values[slot]
  }

  /**
   * Stores `value` under `key`, then evicts until both limits hold (never the
   * entry just set). A new key starts unread; a replaced one keeps its slot
   * and its mark. With `maxBytes`, `size` is the entry's positive size; an
   * entry larger than `maxBytes` is not kept and whatever `key` held is
   * deleted: then it returns false.
   */
  set(key: K, value: V, size = 0): boolean {
    const maxBytes = this.#maxBytes
    if (maxBytes !== undefined && size > maxBytes) {
      this.delete(key)
      return false
    }
    let slot = this.#slots.get(key)
    if (slot === undefined) {
      // Evicting first frees the slot at the hand, which the new entry takes:
      // it sits just behind the hand, a full round from being looked at.
      if (this.#slots.size >= this.#maxEntries) this.#evict(NONE)
      slot = this.#allocate()
      this.#keys[slot] = key
      this.#values[slot] = value
      this.#states[slot] = HELD
      this.#slots.set(key, slot)
    } else {
      this.#values[slot] = value
    }
    const sizes = this.#sizes
    if (sizes !== undefined) {
      this.#bytes += size - sizes[slot]!
      sizes[slot] = size
      // The entry just set fits, so another entry is always left to evict.
      while (this.#bytes > maxBytes!) this.#evict(slot)
    }
    return true
  }

  /** Removes `key`; true if it was held. */
  delete(key: K): boolean {
    const slot = this.#slots.get(key)
    if (slot === undefined) return false
    this.#slots.delete(key)
    this.#release(slot)
    return true
  }

  /** Removes everything and gives the slot arrays back. */
  clear(): void {
    this.#slots.clear()
    this.#keys = []
    this.#values = []
    this.#states = new Uint8Array(0)
    this.#nextFree = new Int32Array(0)
    this.#sizes = undefined
    this.#used = 0
    this.#capacity = 0
    this.#freeSlot = NONE
    this.#hand = 0
    this.#bytes = 0
  }

  /** Keys and values in the order the hand will reach them, from the hand on. */
  *entries(): Generator<[K, V], void, undefined> {
    const used = this.#used
    for (let step = 0; step < used; step++) {
      const slot = (this.#hand + step) % used
      if (this.#states[slot] !== FREE) yield [this.#keys[slot] as K, this.#values[slot] as V]
    }
  }

  /** Moves the hand to the first slot not read since it last passed and evicts it, sparing `kept`. */
  #evict(kept: number): void {
    const states = this.#states
    const used = this.#used
    let slot = this.#hand
    // At most one round to clear every mark, and part of a second to evict.
    for (;;) {
      const state = states[slot]!
      if (state === HELD && slot !== kept) break
      if (state === REFERENCED && slot !== kept) states[slot] = HELD
      slot = slot + 1 === used ? 0 : slot + 1
    }
    this.#hand = slot + 1 === used ? 0 : slot + 1
    const key = this.#keys[slot] as K
    const value = this.#values[slot] as V
    this.#slots.delete(key)
    this.#release(slot)
    this.#onEvict?.(key, value)
  }

  /** Clears a slot (so that its key and value can be collected) and puts it on the free list. */
  #release(slot: number): void {
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    this.#states[slot] = FREE
    if (this.#sizes !== undefined) {
      this.#bytes -= this.#sizes[slot]!
      this.#sizes[slot] = 0
    }
    this.#nextFree[slot] = this.#freeSlot
    this.#freeSlot = slot
  }

  #allocate(): number {
    const free = this.#freeSlot
    if (free !== NONE) {
      this.#freeSlot = this.#nextFree[free]!
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
    const states = new Uint8Array(capacity)
    states.set(this.#states)
    this.#states = states
    const nextFree = new Int32Array(capacity)
    nextFree.set(this.#nextFree)
    this.#nextFree = nextFree
    if (this.#maxBytes !== undefined) {
      const sizes = new Float64Array(capacity)
      if (this.#sizes !== undefined) sizes.set(this.#sizes)
      this.#sizes = sizes
    }
    this.#capacity = capacity
  }
}
