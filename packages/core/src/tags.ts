import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import type { CacheHandle, MaybePromise } from './handle.js'

/** What the tag versions need from the layers: the source, reached through its circuit breaker. */
export interface TagSource {
  readonly source: CacheHandle
  /** While set, what is learnt from the source is trusted this long only (the backplane is down). */
  readonly degradedTtl: number | undefined
  onSource<R>(operation: string, call: (handle: CacheHandle) => MaybePromise<R>): Promise<R>
}

interface KnownTag {
  readonly version: number
  /** Learnt while degraded: trusted until then. `Infinity` otherwise. */
  readonly validUntil: number
}

/** Verdicts of {@link TagVersions.check}. `Unknown`: a tag's version is not known here; ask the source ({@link TagVersions.isValid}). */
export const TagVerdict = { Valid: 0, Invalidated: 1, Unknown: 2 } as const
export type TagVerdict = (typeof TagVerdict)[keyof typeof TagVerdict]

/** Tags known at once; past this the whole table is dropped and learnt again from the source. */
const MAX_KNOWN_TAGS = 10_000

/**
 * The tag versions this instance knows, learnt from the source and forgotten
 * when the backplane says a tag was invalidated (or when frames may have been
 * lost). An entry is invalidated once one of its tags has a version above the
 * entry's `tagVersion` (see `CacheHandle.invalidateTags`). Nothing is scanned:
 * entries are checked when they are read.
 *
 * Knowing too little only costs a round trip; knowing an old version would
 * serve invalidated entries, so every learnt version is dropped when a tag
 * invalidation or `markAllStale` happened while it was on its way.
 * @internal
 */
export class TagVersions {
  /** Moves on every forget: a version read from the source before it may be older than the news. */
  private epoch = 0
  private readonly known = new Map<string, KnownTag>()

  constructor(private readonly layers: TagSource) {}

  /** The source can keep tag versions. */
  get supported(): boolean {
    return this.layers.source.capabilities.tags === true
  }

  /** From what is known here, without waiting. */
  check(entry: CacheEntry, now: number): TagVerdict {
    const tags = entry.tags
    const stamp = entry.tagVersion ?? 0
    for (let index = 0; index < tags.length; index++) {
      const known = this.known.get(tags[index]!)
      if (known === undefined || known.validUntil <= now) return TagVerdict.Unknown
      if (known.version > stamp) return TagVerdict.Invalidated
    }
    return TagVerdict.Valid
  }

  /** Whether none of the entry's tags was invalidated after it was written; asks the source when needed. */
  async isValid(entry: CacheEntry): Promise<boolean> {
    if (entry.tags.length === 0 || !this.supported) return true
    const verdict = this.check(entry, Date.now())
    if (verdict !== TagVerdict.Unknown) return verdict === TagVerdict.Valid
    const versions = await this.fetch(entry.tags)
    const stamp = entry.tagVersion ?? 0
    return versions.every((version) => version <= stamp)
  }

  /**
   * The `tagVersion` for an entry with these tags, read before its value is:
   * the highest version among them. A version known here may be older than
   * the source's, which only makes the entry count as invalidated sooner.
   */
  async stampFor(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0
    if (!this.supported) throw tagsUnsupported(this.layers.source)
    const now = Date.now()
    let stamp = 0
    for (const tag of tags) {
      const known = this.known.get(tag)
      if (known === undefined || known.validUntil <= now) {
        const versions = await this.fetch(tags)
        return Math.max(0, ...versions)
      }
      if (known.version > stamp) stamp = known.version
    }
    return stamp
  }

  /** Invalidates the tags in the source; this instance knows the new version at once. */
  async invalidate(tags: readonly string[]): Promise<number> {
    if (!this.supported) throw tagsUnsupported(this.layers.source)
    const epoch = this.epoch
    const version = await this.layers.onSource('invalidateTags', (source) =>
      source.invalidateTags!(tags),
    )
    if (this.epoch === epoch) {
      this.remember(tags, () => version)
    } else {
      // Someone else's invalidation came in meanwhile: which is newer is not known here.
      this.forget(tags)
    }
    this.epoch++
    return version
  }

  /** Another instance invalidated these tags. */
  forget(tags: readonly string[]): void {
    this.epoch++
    for (const tag of tags) this.known.delete(tag)
  }

  /** Frames may have been lost: nothing known can be trusted. */
  forgetAll(): void {
    this.epoch++
    this.known.clear()
  }

  /** The source's versions of `tags`, remembered unless news came in while they were on their way. */
  private async fetch(tags: readonly string[]): Promise<number[]> {
    const epoch = this.epoch
    const startedAt = Date.now()
    const versions = await this.layers.onSource('tagVersions', (source) =>
      source.tagVersions!(tags),
    )
    if (!Array.isArray(versions) || versions.length !== tags.length) {
      throw new CacheplaneError(
        'E_HANDLE',
        `The ${this.layers.source.kind} handle's tagVersions returned ${Array.isArray(versions) ? `${versions.length} versions` : typeof versions} for ${tags.length} tags; expected one version per tag.`,
      )
    }
    if (this.epoch === epoch) {
      const degradedTtl = this.layers.degradedTtl
      const validUntil =
        degradedTtl === undefined ? Number.POSITIVE_INFINITY : startedAt + degradedTtl
      this.remember(tags, (index) => versions[index]!, validUntil)
    }
    return versions
  }

  private remember(
    tags: readonly string[],
    versionOf: (index: number) => number,
    validUntil = Number.POSITIVE_INFINITY,
  ): void {
    if (this.known.size + tags.length > MAX_KNOWN_TAGS) this.known.clear()
    tags.forEach((tag, index) => {
      this.known.set(tag, { version: versionOf(index), validUntil })
    })
  }
}

export function tagsUnsupported(source: CacheHandle): CacheplaneError {
  return new CacheplaneError(
    'E_UNSUPPORTED',
    `Tags need a backplane source that keeps tag versions (capabilities.tags); the ${source.kind} handle does not.`,
  )
}
