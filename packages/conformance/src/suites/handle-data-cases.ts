import { cborSerializer } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { clauseTitle, handleClauses } from './clauses.js'
import { type HandleFixture, makeEntry } from './handle-fixture.js'

const title = (id: keyof typeof handleClauses) => clauseTitle(handleClauses, id)

/** Keys and regions are non-empty (the cache refuses others). Pairs that naive `region + ':' + key` (or `{region}key`) layouts would map to one stored key. */
export const confusablePairs: readonly [string | undefined, string][] = [
  [undefined, 'a:b'],
  ['a', 'b'],
  ['a:b', 'c'],
  ['a', 'b:c'],
  [undefined, '{a}b'],
  ['{a}', 'b'],
  ['a', '{b}'],
  ['a}', '{b'],
  ['a\u0000', 'b'],
  ['a', '\u0000b'],
  [undefined, 'a\u0000b'],
  [undefined, 'a'],
  ['*', 'a'],
  ['a', '*'],
  ['a b', 'c%20d'],
  ['a/b', 'c'],
  ['a', 'b/c'],
  ['\\', 'x'],
  ['x', '\\'],
]

const unicodeKeys: readonly string[] = [
  'emoji-😀-🧪',
  '中文键',
  'e\u0301-combining',
  'مرحبا',
  '\u{10FFFF}-last-code-point',
  'x'.repeat(1_024),
]

export function regionCases(fixture: HandleFixture): void {
  describe('regions', () => {
    it(title('H20'), async () => {
      const { handle } = fixture.subject()
      await handle.set('k', undefined, makeEntry('none'))
      await handle.set('k', 'a', makeEntry('a'))
      await handle.set('k', 'b', makeEntry('b'))
      expect((await handle.get('k', undefined))?.value, 'H20: no region').toBe('none')
      expect((await handle.get('k', 'a'))?.value, 'H20: region a').toBe('a')
      expect((await handle.get('k', 'b'))?.value, 'H20: region b').toBe('b')
      await handle.delete('k', 'a')
      expect(
        (await handle.get('k', undefined))?.value,
        'H20: delete in region a leaves no region',
      ).toBe('none')
      expect((await handle.get('k', 'b'))?.value, 'H20: delete in region a leaves region b').toBe(
        'b',
      )
    })

    it(title('H21'), async () => {
      const { handle } = fixture.subject()
      for (const key of ['1', '2', '3']) {
        await handle.set(key, 'gone', makeEntry(key))
        await handle.set(key, 'kept', makeEntry(key))
        await handle.set(key, undefined, makeEntry(key))
      }
      await handle.set('x', 'gone:sub', makeEntry('prefix-lookalike'))
      await handle.clearRegion('gone')
      for (const key of ['1', '2', '3']) {
        expect(
          await handle.get(key, 'gone'),
          `H21: ${key} in the cleared region is gone`,
        ).toBeUndefined()
        expect((await handle.get(key, 'kept'))?.value, `H21: ${key} in another region stays`).toBe(
          key,
        )
        expect((await handle.get(key, undefined))?.value, `H21: ${key} without region stays`).toBe(
          key,
        )
      }
      expect(
        (await handle.get('x', 'gone:sub'))?.value,
        'H21: a region whose name starts with the cleared one stays',
      ).toBe('prefix-lookalike')
      await handle.set('1', 'gone', makeEntry('again'))
      expect((await handle.get('1', 'gone'))?.value, 'H21: the region can be written again').toBe(
        'again',
      )
    })

    it(title('H22'), async () => {
      const mine = fixture.subject()
      const theirs = await fixture.another()
      await mine.handle.set('k', undefined, makeEntry('mine'))
      await mine.handle.set('k', 'r', makeEntry('mine'))
      await theirs.handle.set('k', undefined, makeEntry('theirs'))
      await theirs.handle.set('k', 'r', makeEntry('theirs'))
      await mine.handle.clear()
      expect(
        await mine.handle.get('k', undefined),
        'H22: clear removes keys without region',
      ).toBeUndefined()
      expect(await mine.handle.get('k', 'r'), 'H22: clear removes keys in regions').toBeUndefined()
      expect(
        (await theirs.handle.get('k', undefined))?.value,
        "H22: another cache's entry stays",
      ).toBe('theirs')
      expect((await theirs.handle.get('k', 'r'))?.value, "H22: another cache's region stays").toBe(
        'theirs',
      )
    })
  })
}

export function keyCases(fixture: HandleFixture): void {
  describe('keys', () => {
    it(title('H23'), async () => {
      const { handle } = fixture.subject()
      for (const key of unicodeKeys) {
        await handle.set(key, undefined, makeEntry(`value of ${key}`))
        await handle.set(key, key.slice(0, 64), makeEntry(`region value of ${key}`))
      }
      for (const key of unicodeKeys) {
        const label = JSON.stringify(key.slice(0, 30))
        expect((await handle.get(key, undefined))?.value, `H23: key ${label}`).toBe(
          `value of ${key}`,
        )
        expect(
          (await handle.get(key, key.slice(0, 64)))?.value,
          `H23: key and region ${label}`,
        ).toBe(`region value of ${key}`)
      }
      expect(
        await handle.get('e\u00e9-combining', undefined),
        'H23: keys are not normalized',
      ).toBeUndefined()
    })

    it(title('H24'), async () => {
      const { handle } = fixture.subject()
      for (const [index, [region, key]] of confusablePairs.entries()) {
        await handle.set(key, region, makeEntry(index))
      }
      for (const [index, [region, key]] of confusablePairs.entries()) {
        const pair = `(${JSON.stringify(region)}, ${JSON.stringify(key)})`
        expect((await handle.get(key, region))?.value, `H24: ${pair} holds its own entry`).toBe(
          index,
        )
      }
      await handle.clearRegion('a')
      for (const [index, [region, key]] of confusablePairs.entries()) {
        const pair = `(${JSON.stringify(region)}, ${JSON.stringify(key)})`
        const expected = region === 'a' ? undefined : index
        expect((await handle.get(key, region))?.value, `H24: after clearRegion('a'), ${pair}`).toBe(
          expected,
        )
      }
    })
  })
}

export function valueCases(fixture: HandleFixture): void {
  describe('values', () => {
    it(title('H25'), async () => {
      const { handle } = fixture.subject()
      const text = 'é'.repeat(512 * 1_024) // 1 MiB of UTF-8
      const bytes = new Uint8Array(1_024 * 1_024)
      for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 31) & 0xff
      await handle.set('text', undefined, makeEntry(text))
      await handle.set('bytes', undefined, makeEntry(bytes))
      expect(
        (await handle.get('text', undefined))?.value === text,
        'H25: the 1 MiB string round-trips',
      ).toBe(true)
      const storedBytes = (await handle.get('bytes', undefined))?.value
      expect(storedBytes instanceof Uint8Array, 'H25: bytes come back as a Uint8Array').toBe(true)
      expect(
        Buffer.compare(Buffer.from(storedBytes as Uint8Array), Buffer.from(bytes)),
        'H25: every byte',
      ).toBe(0)
    })

    it(title('H26'), async () => {
      const { handle } = fixture.subject()
      const allBytes = Uint8Array.from({ length: 256 }, (_, index) => index)
      const values: Record<string, unknown> = {
        allBytes,
        zeros: new Uint8Array(16),
        nul: 'a\u0000b\u0000',
        date: new Date(1_700_000_000_123),
        map: new Map<unknown, unknown>([
          ['a', 1],
          [2, 'b'],
        ]),
        set: new Set([1, 'two']),
        bigint: 2n ** 70n,
        numbers: [
          0,
          -0,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          2 ** 53 - 1,
          0.1,
        ],
        nested: { array: [null, true, false, { deep: ['x'] }], empty: {}, emptyArray: [] },
        null: null,
        emptyString: '',
      }
      for (const [name, value] of Object.entries(values))
        await handle.set(name, 'v', makeEntry(value))
      // A distributed handle keeps what the serializer keeps (cbor-x writes -0 as 0, for one).
      const serializer = cborSerializer()
      for (const [name, value] of Object.entries(values)) {
        const expected = handle.capabilities.distributed
          ? serializer.deserialize(serializer.serialize(value))
          : value
        expect((await handle.get(name, 'v'))?.value, `H26: ${name} round-trips`).toEqual(expected)
      }
    })
  })
}
