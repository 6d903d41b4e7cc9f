import type { Operation } from '../protocol/frame.js'

type KeyOperationKind = 'changed' | 'removed' | 'expired'

interface KeyOperation {
  kind: KeyOperationKind
  key: string
  region: string | undefined
  version: number
}

/**
 * Invalidations waiting to be sent, coalesced: per key only the latest one is
 * kept (every kind makes receivers drop or expire their copy, so the latest
 * says all), and a `cleared` swallows everything queued before it.
 */
export class PendingOperations {
  private cleared = false
  private readonly regions = new Set<string>()
  private readonly tags = new Set<string>()
  private readonly keys = new Map<string, KeyOperation>()

  get size(): number {
    return (this.cleared ? 1 : 0) + this.regions.size + this.tags.size + this.keys.size
  }

  get isEmpty(): boolean {
    return this.size === 0
  }

  addKey(kind: KeyOperationKind, key: string, region: string | undefined, version: number): void {
    const id = region === undefined ? `k${key}` : `r${region.length}:${region}${key}`
    this.keys.delete(id)
    this.keys.set(id, { kind, key, region, version })
  }

  addRegion(region: string): void {
    this.regions.add(region)
  }

  addTags(tags: readonly string[]): void {
    for (const tag of tags) this.tags.add(tag)
  }

  addCleared(): void {
    this.cleared = true
    this.regions.clear()
    this.tags.clear()
    this.keys.clear()
  }

  /** Moves everything from `other` into this one, as if queued after what is here. */
  absorb(other: PendingOperations): void {
    if (other.cleared) this.addCleared()
    for (const region of other.regions) this.regions.add(region)
    for (const tag of other.tags) this.tags.add(tag)
    for (const [id, operation] of other.keys) {
      this.keys.delete(id)
      this.keys.set(id, operation)
    }
  }

  /** The operations to send, grouped by kind and region, and empties the queue. */
  drain(): Operation[] {
    const operations: Operation[] = []
    if (this.cleared) operations.push({ kind: 'cleared' })
    if (this.regions.size > 0)
      operations.push({ kind: 'regionCleared', regions: [...this.regions] })
    if (this.tags.size > 0) operations.push({ kind: 'tagsInvalidated', tags: [...this.tags] })
    const groups = new Map<
      string,
      { kind: KeyOperationKind; region: string | undefined; keys: string[]; versions: number[] }
    >()
    for (const operation of this.keys.values()) {
      const id =
        operation.region === undefined
          ? operation.kind
          : `${operation.kind}:${operation.region.length}:${operation.region}`
      let group = groups.get(id)
      if (group === undefined) {
        group = { kind: operation.kind, region: operation.region, keys: [], versions: [] }
        groups.set(id, group)
      }
      group.keys.push(operation.key)
      group.versions.push(operation.version)
    }
    for (const group of groups.values()) {
      operations.push(
        group.kind === 'changed'
          ? { kind: 'changed', region: group.region, keys: group.keys, versions: group.versions }
          : { kind: group.kind, region: group.region, keys: group.keys },
      )
    }
    this.cleared = false
    this.regions.clear()
    this.tags.clear()
    this.keys.clear()
    return operations
  }

  /** Puts operations that could not be sent back in front of anything queued since. */
  restore(operations: readonly Operation[]): void {
    const newer = new PendingOperations()
    newer.absorb(this)
    this.addCleared()
    this.cleared = false
    for (const operation of operations) {
      switch (operation.kind) {
        case 'cleared':
          this.addCleared()
          break
        case 'regionCleared':
          for (const region of operation.regions) this.addRegion(region)
          break
        case 'tagsInvalidated':
          this.addTags(operation.tags)
          break
        case 'changed':
          operation.keys.forEach((key, index) => {
            this.addKey('changed', key, operation.region, operation.versions[index] ?? 0)
          })
          break
        case 'removed':
        case 'expired':
          for (const key of operation.keys) this.addKey(operation.kind, key, operation.region, 0)
          break
        case 'heartbeat':
          break
      }
    }
    this.absorb(newer)
  }
}
