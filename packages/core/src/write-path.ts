import type { BackplaneEngine } from './backplane/engine.js'
import { type CacheEntry, createEntry } from './entry.js'
import type { Emitter } from './events.js'
import type { Layers } from './layers.js'
import type { ResolvedEntryOptions } from './options.js'

/**
 * What every write does after the source accepted it: stop reads in flight
 * from storing older data, update the local layers, queue the invalidation,
 * tell listeners. Writes go to the source first, always.
 * @internal
 */
export class WritePath {
  constructor(
    private readonly layers: Layers,
    private readonly emitter: Emitter,
    private readonly engine: () => BackplaneEngine | undefined,
  ) {}

  /**
   * `tagVersion`: read before the value was computed (a factory's caller
   * passes it); by default it is read now, before the write.
   */
  async write<T>(
    key: string,
    region: string | undefined,
    value: T,
    options: ResolvedEntryOptions,
    skipBackplane: boolean,
    tagVersion?: number,
  ): Promise<void> {
    const stamp =
      tagVersion ?? (options.tags.length === 0 ? 0 : await this.layers.tags.stampFor(options.tags))
    const entry = createEntry(value, options, Date.now(), stamp)
    const engine = skipBackplane ? undefined : this.engine()
    let published = false
    const version = await this.layers.onSource('set', (source) => {
      // One round trip where the source can publish the invalidation itself.
      const written = engine?.writeAndPublish(source, key, region, entry)
      if (written === undefined) return source.set(key, region, entry)
      published = true
      return written
    })
    // The entry is this write's own: an in-process source that keeps it has written the same version.
    entry.version = version
    await this.afterWrite(key, region, entry, skipBackplane || published)
  }

  /** `skipL2`: the value goes to this instance's local layers only, and nobody is told. */
  async writeLocal<T>(
    key: string,
    region: string | undefined,
    value: T,
    options: ResolvedEntryOptions,
    tagVersion?: number,
  ): Promise<void> {
    const stamp =
      tagVersion ?? (options.tags.length === 0 ? 0 : await this.layers.tags.stampFor(options.tags))
    const entry = createEntry(value, options, Date.now(), stamp)
    this.layers.flights.invalidate(key, region, Number.POSITIVE_INFINITY)
    await this.layers.storeLocal(key, region, entry, true)
    this.emitter.emit('entrySet', { key, region, origin: 'local' })
  }

  /** `skipL2`: drops the key from this instance's local layers only. */
  async removeLocal(key: string, region: string | undefined): Promise<void> {
    this.layers.flights.invalidate(key, region, Number.POSITIVE_INFINITY)
    await this.layers.onLocal('delete', (handle) => handle.delete(key, region))
    this.emitter.emit('entryRemoved', { key, region, origin: 'local' })
  }

  async afterWrite(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    skipBackplane: boolean,
  ): Promise<void> {
    // A read of this key that began before the write must not store what it found.
    this.layers.flights.invalidate(key, region, entry.version)
    await this.layers.storeLocal(key, region, entry)
    if (!skipBackplane) this.engine()?.queueKey('changed', key, region, entry.version)
    this.emitter.emit('entrySet', { key, region, origin: 'local' })
  }

  async afterRemove(
    key: string,
    region: string | undefined,
    kind: 'removed' | 'expired',
    skipBackplane: boolean,
  ): Promise<void> {
    this.layers.flights.invalidate(key, region, Number.POSITIVE_INFINITY)
    if (kind === 'removed') {
      await this.layers.onLocal('delete', (handle) => handle.delete(key, region))
    } else {
      const now = Date.now()
      await this.layers.onLocal('expire', (handle) => handle.expire(key, region, now))
    }
    if (!skipBackplane) this.engine()?.queueKey(kind, key, region, 0)
    this.emitter.emit(kind === 'removed' ? 'entryRemoved' : 'entryExpired', {
      key,
      region,
      origin: 'local',
    })
  }
}
