// The design measured against the handle's own LRU and not chosen (docs/decisions/0009):
// the links live on the stored objects themselves, which must be created with
// `lruKey`, `lruPrev`, `lruNext` and `lruSize` in their literal (see
// `linkedEntry` in lru.mjs) so that every node has one shape. Only what the
// benchmark calls is here.
export class LinkedLru {
  #nodes = new Map()
  #head = undefined
  #tail = undefined
  #maxEntries
  #onEvict

  constructor({ maxEntries, onEvict }) {
    this.#maxEntries = maxEntries
    this.#onEvict = onEvict
  }

  get size() {
    return this.#nodes.size
  }

  get(key) {
    const node = this.#nodes.get(key)
    if (node !== undefined && node !== this.#head) this.#promote(node)
    return node
  }

  peek(key) {
    return this.#nodes.get(key)
  }

  set(key, node) {
    const current = this.#nodes.get(key)
    if (current === node) {
      if (node !== this.#head) this.#promote(node)
      return true
    }
    if (current !== undefined) this.#unlink(current)
    else if (this.#nodes.size >= this.#maxEntries) this.#evict()
    this.#nodes.set(key, node)
    node.lruKey = key
    node.lruPrev = undefined
    node.lruNext = this.#head
    if (this.#head === undefined) this.#tail = node
    else this.#head.lruPrev = node
    this.#head = node
    return true
  }

  delete(key) {
    const node = this.#nodes.get(key)
    if (node === undefined) return false
    this.#nodes.delete(key)
    this.#unlink(node)
    return true
  }

  #promote(node) {
    const before = node.lruPrev
    const after = node.lruNext
    before.lruNext = after
    if (after === undefined) this.#tail = before
    else after.lruPrev = before
    node.lruPrev = undefined
    node.lruNext = this.#head
    this.#head.lruPrev = node
    this.#head = node
  }

  #evict() {
    const node = this.#tail
    const key = node.lruKey
    this.#nodes.delete(key)
    this.#unlink(node)
    this.#onEvict?.(key, node)
  }

  // Clears the node's links too, so that an entry still held elsewhere does not keep its neighbours alive.
  #unlink(node) {
    const before = node.lruPrev
    const after = node.lruNext
    if (before === undefined) this.#head = after
    else before.lruNext = after
    if (after === undefined) this.#tail = before
    else after.lruPrev = before
    node.lruKey = undefined
    node.lruPrev = undefined
    node.lruNext = undefined
  }
}
