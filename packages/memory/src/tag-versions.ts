import { CacheplaneError, describeValue } from '@cacheplane/core'

/**
 * The tag versions of the cache a handle is attached to (see
 * `CacheHandle.invalidateTags`). One counter serves every tag, so each
 * invalidation's version is greater than any version any tag has had, and an
 * entry compares one number, its `tagVersion`, against its tags' versions.
 * Kept apart from the entries: `clear` and `clearRegion` leave it alone.
 *
 * A tag once invalidated is remembered until the handle is released: forgetting
 * it would make its old entries valid again. Memory grows with the number of
 * distinct tags invalidated, not with the number of invalidations.
 */
export class TagVersions {
  readonly #versions = new Map<string, number>()
  /** Never reset, like entry versions: no version is handed out twice. */
  #lastVersion = 0

  /** The version of each tag, 0 for one never invalidated. */
  versionsOf(tags: readonly string[]): number[] {
    checkTags(tags)
    return tags.map((tag) => this.#versions.get(tag) ?? 0)
  }

  /** Gives every tag of `tags` one new version and returns it. */
  invalidate(tags: readonly string[]): number {
    checkTags(tags)
    const version = ++this.#lastVersion
    for (const tag of tags) this.#versions.set(tag, version)
    return version
  }

  /** Forgets every tag, for a handle that its last cache released. The counter goes on. */
  forget(): void {
    this.#versions.clear()
  }
}

function checkTags(tags: unknown): asserts tags is readonly string[] {
  if (!Array.isArray(tags)) {
    throw new CacheplaneError(
      'E_INVALID_KEY',
      `Invalid tags: got ${describeValue(tags)}, expected an array of non-empty strings.`,
    )
  }
  for (const [index, tag] of tags.entries()) {
    if (typeof tag !== 'string' || tag === '') {
      throw new CacheplaneError(
        'E_INVALID_KEY',
        `Invalid tags: the tag at index ${index} is ${describeValue(tag)}, expected a non-empty string.`,
      )
    }
  }
}
