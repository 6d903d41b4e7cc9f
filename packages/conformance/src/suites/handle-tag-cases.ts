import type { CacheEntry, CacheHandle } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { clauseTitle, handleClauses } from './clauses.js'
import { type HandleFixture, makeEntry } from './handle-fixture.js'

const title = (id: keyof typeof handleClauses) => clauseTitle(handleClauses, id)
const parallelInvalidations = 20

type Skip = (note: string) => void

/** The tag calls of a handle that claims them; skips the test otherwise. */
function requireTags(handle: CacheHandle, skip: Skip) {
  if (handle.capabilities.tags !== true) {
    skip('capabilities.tags is not true: the handle does not claim tagVersions and invalidateTags')
  }
  return {
    tagVersions: async (tags: readonly string[]) => handle.tagVersions!(tags),
    invalidateTags: async (tags: readonly string[]) => handle.invalidateTags!(tags),
  }
}

/** Non-empty (the cache refuses others), and pairs that naive key layouts would merge. */
const lookAlikeTags: readonly string[] = [
  'a',
  'b',
  'a:b',
  'a::b',
  '{a}',
  '{a}b',
  'a}',
  '{',
  '}',
  ':',
  '*',
  'a*',
  'a b',
  'a\u0000b',
  '\\',
  'emoji-😀',
  '中文',
  'e\u0301',
  '\u00e9',
  'x'.repeat(1_024),
]

/** The tag version an entry came back with; absent and 0 both mean "none". */
const tagVersionOf = (entry: CacheEntry | undefined) =>
  entry === undefined ? 'no entry' : (entry.tagVersion ?? 0)

/**
 * H35 checks every handle: entries carry `tagVersion` whatever the handle's
 * `capabilities.tags` says, since a cache's tags may live in another handle.
 * H36-H41 run when `capabilities.tags` is true.
 */
export function tagCases(fixture: HandleFixture): void {
  describe('tags', () => {
    it(title('H35'), async () => {
      const { handle } = fixture.subject()
      const tagged = (value: string, tagVersion: number, fields: Partial<CacheEntry> = {}) =>
        makeEntry(value, { tags: ['t', 'u'], tagVersion, ...fields })
      await handle.set('set', undefined, tagged('v', 7))
      expect(tagVersionOf(await handle.get('set', undefined)), 'H35: set then get').toBe(7)
      const large = 2 ** 40 + 1
      await handle.set('large', 'r', tagged('v', large))
      expect(tagVersionOf(await handle.get('large', 'r')), 'H35: a version above 2^32').toBe(large)
      await handle.set('plain', undefined, makeEntry('v'))
      expect(
        tagVersionOf(await handle.get('plain', undefined)),
        'H35: an entry written without tagVersion comes back without one (or with 0)',
      ).toBe(0)
      await handle.set('set', undefined, makeEntry('replaced'))
      expect(
        tagVersionOf(await handle.get('set', undefined)),
        'H35: a set without tagVersion replaces the old one',
      ).toBe(0)
      await handle.add('added', undefined, tagged('v', 11))
      expect(tagVersionOf(await handle.get('added', undefined)), 'H35: add').toBe(11)
      await handle.expire('added', undefined, Date.now())
      expect(tagVersionOf(await handle.get('added', undefined)), 'H35: expire keeps it').toBe(11)
      const now = Date.now()
      await handle.set(
        'sliding',
        undefined,
        tagged('v', 12, { sliding: 60_000, expiresAt: now + 60_000, staleUntil: now + 90_000 }),
      )
      await handle.get('sliding', undefined)
      expect(
        tagVersionOf(await handle.get('sliding', undefined)),
        'H35: a sliding renewal keeps it',
      ).toBe(12)
      if (handle.capabilities.cas && handle.compareAndSet !== undefined) {
        const created = await handle.compareAndSet('cas', 'r', tagged('v', 13), 0)
        expect(tagVersionOf(await handle.get('cas', 'r')), 'H35: compareAndSet').toBe(13)
        await handle.compareAndSet('cas', 'r', tagged('w', 14), created ?? -1)
        expect(tagVersionOf(await handle.get('cas', 'r')), 'H35: compareAndSet over an entry').toBe(
          14,
        )
      }
      if (handle.capabilities.batch && handle.setMany !== undefined) {
        await handle.setMany(
          [
            { key: 'many-a', entry: tagged('a', 21) },
            { key: 'many-b', entry: makeEntry('b') },
          ],
          'r',
        )
        const entries = await handle.getMany!(['many-a', 'many-b', 'large'], 'r')
        expect(entries.map(tagVersionOf), 'H35: setMany then getMany').toEqual([21, 0, large])
      }
    })

    it(title('H36'), async (context) => {
      const { tagVersions } = requireTags(fixture.subject().handle, (note) => context.skip(note))
      expect(await tagVersions(['never', 'also-never', 'never']), 'H36: 0 for each tag').toEqual([
        0, 0, 0,
      ])
      expect(await tagVersions([]), 'H36: no tags, no versions').toEqual([])
    })

    it(title('H37'), async (context) => {
      const { tagVersions, invalidateTags } = requireTags(fixture.subject().handle, (note) =>
        context.skip(note),
      )
      await invalidateTags(['a'])
      const first = await invalidateTags(['a'])
      expect(Number.isSafeInteger(first) && first > 0, 'H37: a positive integer version').toBe(true)
      expect(await tagVersions(['a', 'b']), 'H37: only the invalidated tag has it').toEqual([
        first,
        0,
      ])
      const second = await invalidateTags(['b', 'c'])
      expect(
        second,
        "H37: greater than every tag's version before (one counter per cache, not per tag)",
      ).toBeGreaterThan(first)
      expect(
        await tagVersions(['a', 'b', 'c', 'd']),
        'H37: each tag of the call has its version',
      ).toEqual([first, second, second, 0])
      const third = await invalidateTags(['a'])
      expect(third, 'H37: and the next is greater again').toBeGreaterThan(second)
      expect(await tagVersions(['c', 'a', 'b']), 'H37: in the order asked').toEqual([
        second,
        third,
        second,
      ])
    })

    it(title('H38'), async (context) => {
      const { tagVersions, invalidateTags } = requireTags(fixture.subject().handle, (note) =>
        context.skip(note),
      )
      const own = Array.from({ length: parallelInvalidations }, (_, index) => `tag-${index}`)
      const versions = await Promise.all(own.map((tag) => invalidateTags([tag, 'shared'])))
      expect(new Set(versions).size, 'H38: every parallel call got its own version').toBe(
        parallelInvalidations,
      )
      expect(
        await tagVersions(own),
        "H38: each call's own tag reports that call's version",
      ).toEqual(versions)
      expect(
        await tagVersions(['shared']),
        'H38: the shared tag ends at the greatest version (no earlier call overwrote a later one)',
      ).toEqual([Math.max(...versions)])
    })

    it(title('H39'), async (context) => {
      const { handle } = fixture.subject()
      const { tagVersions, invalidateTags } = requireTags(handle, (note) => context.skip(note))
      const version = await invalidateTags(['kept', 'also-kept'])
      await handle.set('k', 'r', makeEntry('v', { tags: ['kept'], tagVersion: version }))
      await handle.set('k', undefined, makeEntry('v', { tags: ['kept'], tagVersion: version }))
      await handle.clearRegion('r')
      expect(await tagVersions(['kept', 'also-kept']), 'H39: after clearRegion').toEqual([
        version,
        version,
      ])
      await handle.delete('k', undefined)
      await handle.clear()
      expect(await tagVersions(['kept', 'also-kept']), 'H39: after clear').toEqual([
        version,
        version,
      ])
      expect(
        await invalidateTags(['new']),
        'H39: the counter survives clear: the next version is greater',
      ).toBeGreaterThan(version)
    })

    it(title('H40'), async (context) => {
      const mine = requireTags(fixture.subject().handle, (note) => context.skip(note))
      const theirs = requireTags((await fixture.another()).handle, (note) => context.skip(note))
      const version = await mine.invalidateTags(['same-name'])
      expect(
        await theirs.tagVersions(['same-name']),
        "H40: another cache's tag of the same name is still 0",
      ).toEqual([0])
      await theirs.invalidateTags(['same-name'])
      await theirs.invalidateTags(['same-name'])
      expect(
        await mine.tagVersions(['same-name']),
        "H40: another cache's invalidations leave this cache's tag alone",
      ).toEqual([version])
    })

    it(title('H41'), async (context) => {
      const { tagVersions, invalidateTags } = requireTags(fixture.subject().handle, (note) =>
        context.skip(note),
      )
      const versions: number[] = []
      for (const tag of lookAlikeTags) versions.push(await invalidateTags([tag]))
      const reported = await tagVersions(lookAlikeTags)
      for (const [index, tag] of lookAlikeTags.entries()) {
        expect(
          reported[index],
          `H41: ${JSON.stringify(tag.slice(0, 30))} has its own version`,
        ).toBe(versions[index])
      }
      expect(
        await tagVersions(['a:', ':b', 'A', '{a', 'e', 'x'.repeat(1_023)]),
        'H41: tags never invalidated that look like invalidated ones are 0',
      ).toEqual([0, 0, 0, 0, 0, 0])
    })
  })
}
