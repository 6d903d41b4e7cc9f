import { type CacheEntry, slide } from '@cacheplane/core'
import { ReferenceStore } from '../../examples/reference-handle.js'
import { describeHandleConformance } from '../../src/index.js'
import { mutant } from './mutant-handle.js'

// Handles with one known bug each. test/mutants.test.ts runs this file and
// checks that the suite fails each of them on the clause named in its name.

describeHandleConformance({
  name: 'mutant H24 H21: region and key joined with a colon',
  create: mutant((inner) => {
    const join = (key: string, region: string | undefined) =>
      region === undefined ? key : `${region}:${key}`
    const known = new Set<string>()
    return {
      get: (key, region) => inner.get(join(key, region), undefined),
      set: (key, region, entry) => {
        known.add(join(key, region))
        return inner.set(join(key, region), undefined, entry)
      },
      delete: (key, region) => inner.delete(join(key, region), undefined),
      clearRegion: (region) => {
        for (const key of known) if (key.startsWith(`${region}:`)) inner.delete(key, undefined)
      },
    }
  }),
  only: ['keys', 'regions'],
})

describeHandleConformance({
  name: 'mutant H14: versions start over after a delete',
  create: mutant((inner) => {
    const versions = new Map<string, number>()
    return {
      set: (key, region, entry) => {
        const id = `${region}/${key}`
        const version = entry.version === 0 ? (versions.get(id) ?? 0) + 1 : entry.version
        versions.set(id, version)
        return inner.set(key, region, { ...entry, version })
      },
      delete: (key, region) => {
        versions.delete(`${region}/${key}`)
        return inner.delete(key, region)
      },
    }
  }),
  only: ['versions'],
})

describeHandleConformance({
  name: 'mutant H18: sliding renews the returned entry only, not the stored one',
  create: mutant(
    (inner) => ({
      get: async (key, region) => {
        const [entry] = (await inner.getMany!([key], region)) as (CacheEntry | undefined)[]
        if (entry !== undefined) slide(entry, Date.now())
        return entry
      },
    }),
    { distributed: true, store: new ReferenceStore() },
  ),
  only: ['ttl'],
})

describeHandleConformance({
  name: 'mutant H8 H28: add overwrites like set',
  create: mutant((inner) => ({ add: (key, region, entry) => inner.set(key, region, entry) })),
  only: ['basic', 'concurrency'],
})
