import type { CacheHandle } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { clauseTitle, handleClauses } from './clauses.js'
import { type HandleFixture, makeEntry } from './handle-fixture.js'

const title = (id: keyof typeof handleClauses) => clauseTitle(handleClauses, id)
const parallelWrites = 50

type Skip = (note: string) => void

function requireCas(handle: CacheHandle, skip: Skip): NonNullable<CacheHandle['compareAndSet']> {
  if (!handle.capabilities.cas || handle.compareAndSet === undefined) {
    skip('capabilities.cas is false: the handle does not claim compareAndSet')
  }
  return handle.compareAndSet!.bind(handle)
}

function requireBatch(handle: CacheHandle, skip: Skip) {
  if (!handle.capabilities.batch)
    skip('capabilities.batch is false: the handle does not claim batch calls')
  return {
    getMany: handle.getMany!.bind(handle),
    setMany: handle.setMany!.bind(handle),
    deleteMany: handle.deleteMany!.bind(handle),
  }
}

export function concurrencyCases(fixture: HandleFixture): void {
  describe('concurrency', () => {
    it(title('H27'), async () => {
      const { handle } = fixture.subject()
      const writes = Array.from({ length: parallelWrites }, (_, index) =>
        Promise.resolve(handle.set('hot', undefined, makeEntry(index))),
      )
      const versions = await Promise.all(writes)
      expect(new Set(versions).size, 'H27: every parallel set got its own version').toBe(
        parallelWrites,
      )
      const final = await handle.get('hot', undefined)
      const winner = final?.value as number
      expect(
        Number.isInteger(winner) && winner >= 0 && winner < parallelWrites,
        'H27: the final value is one of the writes',
      ).toBe(true)
      expect(final?.version, 'H27: the final entry carries the version its write got').toBe(
        versions[winner],
      )
      expect(final?.version, 'H27: the last write applied has the greatest version').toBe(
        Math.max(...versions),
      )
    })

    it(title('H28'), async () => {
      const { handle } = fixture.subject()
      const results = await Promise.all(
        Array.from({ length: parallelWrites }, (_, index) =>
          Promise.resolve(handle.add('once', 'r', makeEntry(index))),
        ),
      )
      const winners = results.flatMap((result, index) => (result === undefined ? [] : [index]))
      expect(winners.length, 'H28: exactly one parallel add stored its entry').toBe(1)
      expect((await handle.get('once', 'r'))?.value, 'H28: the stored entry is the winner').toBe(
        winners[0],
      )
    })
  })
}

export function casCases(fixture: HandleFixture): void {
  describe('cas', () => {
    it(title('H29'), async (context) => {
      const { handle } = fixture.subject()
      const compareAndSet = requireCas(handle, (note) => context.skip(note))
      const created = await compareAndSet('k', undefined, makeEntry('first'), 0)
      expect(
        typeof created === 'number' && created > 0,
        'H29: expected 0 on an absent key stores',
      ).toBe(true)
      expect(
        await compareAndSet('k', undefined, makeEntry('second'), 0),
        'H29: expected 0 on a present key fails',
      ).toBe(undefined)
      expect((await handle.get('k', undefined))?.value, 'H29: the first entry is kept').toBe(
        'first',
      )
    })

    it(title('H30'), async (context) => {
      const { handle } = fixture.subject()
      const compareAndSet = requireCas(handle, (note) => context.skip(note))
      const first = await handle.set('k', 'r', makeEntry(1))
      const second = await compareAndSet('k', 'r', makeEntry(2), first)
      expect(
        second,
        'H30: compareAndSet on the current version returns a greater version',
      ).toBeGreaterThan(first)
      expect((await handle.get('k', 'r'))?.version, 'H30: get reports the new version').toBe(second)
      expect(
        await compareAndSet('k', 'r', makeEntry(3), first),
        'H30: a stale version fails',
      ).toBeUndefined()
      expect((await handle.get('k', 'r'))?.value, 'H30: and keeps the entry').toBe(2)
    })

    it(title('H31'), async (context) => {
      const { handle } = fixture.subject()
      const compareAndSet = requireCas(handle, (note) => context.skip(note))
      const version = await handle.set('k', undefined, makeEntry(-1))
      const results = await Promise.all(
        Array.from({ length: parallelWrites }, (_, index) =>
          Promise.resolve(compareAndSet('k', undefined, makeEntry(index), version)),
        ),
      )
      const winners = results.flatMap((result, index) => (result === undefined ? [] : [index]))
      expect(winners.length, 'H31: exactly one compareAndSet on the same version wins').toBe(1)
      expect((await handle.get('k', undefined))?.value, "H31: the winner's entry is stored").toBe(
        winners[0],
      )
    })
  })
}

export function batchCases(fixture: HandleFixture): void {
  describe('batch', () => {
    it(title('H32'), async (context) => {
      const { handle } = fixture.subject()
      const { getMany } = requireBatch(handle, (note) => context.skip(note))
      await handle.set('a', 'r', makeEntry('A'))
      await handle.set('c', 'r', makeEntry('C'))
      await handle.set('b', 'other', makeEntry('wrong region'))
      const entries = await getMany(['c', 'b', 'a', 'missing'], 'r')
      expect(
        entries.map((entry) => entry?.value),
        'H32: values in key order, undefined for misses and other regions',
      ).toEqual(['C', undefined, 'A', undefined])
      expect(await getMany([], 'r'), 'H32: no keys, no entries').toEqual([])
    })

    it(title('H33'), async (context) => {
      const { handle } = fixture.subject()
      const { setMany } = requireBatch(handle, (note) => context.skip(note))
      await handle.set('b', 'r', makeEntry('old'))
      const before = (await handle.get('b', 'r'))?.version ?? 0
      const versions = await setMany(
        [
          { key: 'a', entry: makeEntry('A') },
          { key: 'b', entry: makeEntry('B') },
          { key: 'c', entry: makeEntry('C', { version: 777 }) },
        ],
        'r',
      )
      expect(versions.length, 'H33: one version per item').toBe(3)
      for (const [index, key] of ['a', 'b', 'c'].entries()) {
        const stored = await handle.get(key, 'r')
        expect(stored?.value, `H33: ${key} is stored`).toBe(key.toUpperCase())
        expect(stored?.version, `H33: the version returned for ${key} is the one stored`).toBe(
          versions[index],
        )
      }
      expect(versions[1], 'H33: a replaced key gets a greater version').toBeGreaterThan(before)
      expect(versions[2], 'H33: a given version is kept').toBe(777)
      expect(
        await handle.get('a', undefined),
        'H33: items go to the given region only',
      ).toBeUndefined()
    })

    it(title('H34'), async (context) => {
      const { handle } = fixture.subject()
      const { deleteMany } = requireBatch(handle, (note) => context.skip(note))
      await handle.set('a', 'r', makeEntry('A'))
      await handle.set('b', 'r', makeEntry('B'))
      await handle.set('a', undefined, makeEntry('no region'))
      expect(
        await deleteMany(['a', 'b', 'missing'], 'r'),
        'H34: counts the keys that existed',
      ).toBe(2)
      expect(await handle.get('a', 'r'), 'H34: a is gone').toBeUndefined()
      expect(await handle.get('b', 'r'), 'H34: b is gone').toBeUndefined()
      expect(
        (await handle.get('a', undefined))?.value,
        'H34: the same key outside the region stays',
      ).toBe('no region')
    })
  })
}
