import type { CacheEntry, CacheHandle } from '@cacheplane/core'
import { describeHandleConformance } from '../../src/index.js'
import { mutant } from './mutant-handle.js'

// Handles whose tags have one known bug each; see handle-mutants.mutant.ts.

/** A handle's tag table, correct but for the bug named. */
type TagBug = 'per-tag counter' | 'two steps' | 'clear forgets' | 'one table for all' | 'NFC'

const tableOfAll = { versions: new Map<string, number>(), last: 0 }

function tagsWith(bug: TagBug, inner: CacheHandle): Partial<CacheHandle> {
  const table =
    bug === 'one table for all' ? tableOfAll : { versions: new Map<string, number>(), last: 0 }
  const name = (tag: string) => (bug === 'NFC' ? tag.normalize('NFC') : tag)
  return {
    tagVersions: (tags) => tags.map((tag) => table.versions.get(name(tag)) ?? 0),
    async invalidateTags(tags) {
      let version = table.last + 1
      if (bug === 'per-tag counter') {
        version = Math.max(...tags.map((tag) => (table.versions.get(name(tag)) ?? 0) + 1))
      }
      // A round trip between reading the counter and writing it back.
      if (bug === 'two steps') await Promise.resolve()
      table.last = version
      for (const tag of tags) table.versions.set(name(tag), version)
      return version
    },
    clear() {
      if (bug === 'clear forgets') {
        table.versions.clear()
        table.last = 0
      }
      return inner.clear()
    },
  }
}

const withoutTagVersion = ({ tagVersion: _dropped, ...entry }: CacheEntry): CacheEntry => entry

describeHandleConformance({
  name: 'mutant H35: tagVersion is dropped on write',
  create: mutant((inner) => ({
    set: (key, region, entry) => inner.set(key, region, withoutTagVersion(entry)),
    add: (key, region, entry) => inner.add(key, region, withoutTagVersion(entry)),
  })),
  only: ['tags'],
})

describeHandleConformance({
  name: 'mutant H37: invalidateTags counts per tag',
  create: mutant((inner) => tagsWith('per-tag counter', inner)),
  only: ['tags'],
})

describeHandleConformance({
  name: 'mutant H38: invalidateTags reads and writes the counter in two steps',
  create: mutant((inner) => tagsWith('two steps', inner)),
  only: ['tags'],
})

describeHandleConformance({
  name: 'mutant H39: clear forgets the tag versions',
  create: mutant((inner) => tagsWith('clear forgets', inner)),
  only: ['tags'],
})

describeHandleConformance({
  name: 'mutant H40: one tag table for every cache',
  create: mutant((inner) => tagsWith('one table for all', inner)),
  only: ['tags'],
})

describeHandleConformance({
  name: 'mutant H41: tags are normalized to NFC',
  create: mutant((inner) => tagsWith('NFC', inner)),
  only: ['tags'],
})
