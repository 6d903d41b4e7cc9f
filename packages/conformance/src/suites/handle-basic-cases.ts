import { CacheplaneError, cborSerializer } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { clauseTitle, handleClauses } from './clauses.js'
import { type HandleFixture, makeEntry } from './handle-fixture.js'

const title = (id: keyof typeof handleClauses) => clauseTitle(handleClauses, id)

export function contractCases(fixture: HandleFixture): void {
  describe('contract', () => {
    it(title('H1'), () => {
      const { handle } = fixture.subject()
      expect(handle.specificationVersion, 'H1: specificationVersion').toBe('v1')
      expect(
        typeof handle.kind === 'string' && handle.kind !== '',
        'H1: kind is a non-empty string',
      ).toBe(true)
      const capabilities = handle.capabilities
      for (const flag of ['distributed', 'cas', 'batch'] as const) {
        expect(typeof capabilities[flag], `H1: capabilities.${flag} is a boolean`).toBe('boolean')
      }
      for (const flag of ['tags', 'locks'] as const) {
        expect(
          capabilities[flag] === undefined || typeof capabilities[flag] === 'boolean',
          `H1: capabilities.${flag} is a boolean when present`,
        ).toBe(true)
      }
      expect(
        Number.isFinite(capabilities.ttlPrecision) && capabilities.ttlPrecision >= 1,
        'H1: capabilities.ttlPrecision is a number of ms >= 1',
      ).toBe(true)
    })

    it(title('H2'), () => {
      const { handle } = fixture.subject()
      const methods = [
        'attach',
        'get',
        'set',
        'add',
        'delete',
        'expire',
        'clear',
        'clearRegion',
        'close',
      ]
      if (handle.capabilities.cas) methods.push('compareAndSet')
      if (handle.capabilities.batch) methods.push('getMany', 'setMany', 'deleteMany')
      if (handle.capabilities.tags) methods.push('tagVersions', 'invalidateTags')
      if (handle.capabilities.locks) methods.push('acquireLock', 'releaseLock')
      for (const method of methods) {
        expect(
          typeof (handle as unknown as Record<string, unknown>)[method],
          `H2: ${method} is a function`,
        ).toBe('function')
      }
    })

    it(title('H3'), async () => {
      const subject = fixture.subject()
      const serializer = cborSerializer()
      await subject.handle.attach({ cacheName: subject.cacheName, serializer })
      let failure: unknown
      try {
        await subject.handle.attach({ cacheName: `${subject.cacheName}-other`, serializer })
      } catch (error) {
        failure = error
      }
      expect(
        CacheplaneError.hasCode(failure, 'E_INVALID_OPTION'),
        'H3: attach with another cache name throws a CacheplaneError with code E_INVALID_OPTION',
      ).toBe(true)
    })

    it(title('H4'), async () => {
      const subject = fixture.subject()
      await subject.handle.set('k', undefined, makeEntry('v'))
      await subject.handle.clear()
      await subject.handle.close()
      subject.closed = true
    })
  })
}

export function basicCases(fixture: HandleFixture): void {
  describe('basic', () => {
    it(title('H5'), async () => {
      const { handle } = fixture.subject()
      expect(await handle.get('missing', undefined), 'H5: no region').toBeUndefined()
      expect(await handle.get('missing', 'region'), 'H5: in a region').toBeUndefined()
    })

    it(title('H6'), async () => {
      const { handle } = fixture.subject()
      const now = Date.now()
      const fields = {
        createdAt: now - 5,
        expiresAt: now + 60_000,
        staleUntil: now + 90_000,
        sliding: 0,
        tags: ['brand:acme', 'päron'],
      }
      const value = { name: 'Widget', price: 12.5, stock: [1, 2, 3], nested: { ok: true } }
      const version = await handle.set(
        'product:1',
        undefined,
        makeEntry(structuredClone(value), fields),
      )
      const stored = await handle.get('product:1', undefined)
      expect(stored, 'H6: get returns the entry just set').toBeDefined()
      expect(stored?.value, 'H6: value').toEqual(value)
      expect(stored?.version, 'H6: version is the one set returned').toBe(version)
      for (const field of ['createdAt', 'expiresAt', 'staleUntil', 'sliding'] as const) {
        expect(stored?.[field], `H6: ${field} round-trips`).toBe(fields[field])
      }
      expect(stored?.tags, 'H6: tags round-trip').toEqual(fields.tags)
    })

    it(title('H7'), async () => {
      const { handle } = fixture.subject()
      await handle.set('k', undefined, makeEntry('first'))
      await handle.set('k', undefined, makeEntry('second'))
      expect((await handle.get('k', undefined))?.value, 'H7: the second set wins').toBe('second')
    })

    it(title('H8'), async () => {
      const { handle } = fixture.subject()
      const added = await handle.add('k', undefined, makeEntry('first'))
      expect(
        typeof added === 'number' && added > 0,
        'H8: add on an absent key returns a version',
      ).toBe(true)
      expect(
        await handle.add('k', undefined, makeEntry('second')),
        'H8: add over a fresh entry returns undefined',
      ).toBe(undefined)
      expect((await handle.get('k', undefined))?.value, 'H8: the fresh entry is kept').toBe('first')
      const now = Date.now()
      await handle.set(
        'stale',
        undefined,
        makeEntry('old', { expiresAt: now - 1_000, staleUntil: now + 60_000 }),
      )
      const replaced = await handle.add('stale', undefined, makeEntry('new'))
      expect(typeof replaced, 'H8: add over a logically expired entry stores').toBe('number')
      expect(
        (await handle.get('stale', undefined))?.value,
        'H8: the new entry replaced the stale one',
      ).toBe('new')
    })

    it(title('H9'), async () => {
      const { handle } = fixture.subject()
      await handle.set('k', 'r', makeEntry('v'))
      expect(await handle.delete('k', 'r'), 'H9: delete of a present key returns true').toBe(true)
      expect(await handle.get('k', 'r'), 'H9: the entry is gone').toBeUndefined()
      expect(await handle.delete('k', 'r'), 'H9: delete of an absent key returns false').toBe(false)
    })

    it(title('H10'), async () => {
      const { handle } = fixture.subject()
      const staleUntil = Date.now() + 60_000
      await handle.set('k', undefined, makeEntry({ kept: true }, { staleUntil }))
      const now = Date.now()
      expect(
        await handle.expire('k', undefined, now),
        'H10: expire of a present key returns true',
      ).toBe(true)
      const stored = await handle.get('k', undefined)
      expect(stored?.value, 'H10: the value is kept for fail-safe').toEqual({ kept: true })
      expect(
        stored !== undefined && stored.expiresAt <= now,
        'H10: expiresAt is now or earlier',
      ).toBe(true)
      expect(stored?.staleUntil, 'H10: staleUntil is unchanged').toBe(staleUntil)
      expect(
        await handle.expire('missing', undefined, now),
        'H10: expire of an absent key returns false',
      ).toBe(false)
    })
  })
}

export function versionCases(fixture: HandleFixture): void {
  describe('versions', () => {
    it(title('H11'), async () => {
      const { handle } = fixture.subject()
      const version = await handle.set('k', undefined, makeEntry('v'))
      expect(Number.isInteger(version) && version > 0, 'H11: a positive integer version').toBe(true)
      expect(
        (await handle.get('k', undefined))?.version,
        'H11: get reports the assigned version',
      ).toBe(version)
    })

    it(title('H12'), async () => {
      const { handle } = fixture.subject()
      let previous = 0
      for (let write = 0; write < 5; write++) {
        const version = await handle.set('k', 'r', makeEntry(write))
        expect(version, `H12: write ${write + 1} gets a version above ${previous}`).toBeGreaterThan(
          previous,
        )
        previous = version
      }
    })

    it(title('H13'), async () => {
      const { handle } = fixture.subject()
      const version = await handle.set('k', undefined, makeEntry('v', { version: 4_242 }))
      expect(version, 'H13: set returns the given version').toBe(4_242)
      expect(
        (await handle.get('k', undefined))?.version,
        'H13: get reports the given version',
      ).toBe(4_242)
    })

    it(title('H14'), async () => {
      const { handle } = fixture.subject()
      await handle.set('k', undefined, makeEntry(1))
      const before = await handle.set('k', undefined, makeEntry(2))
      await handle.delete('k', undefined)
      const after = await handle.set('k', undefined, makeEntry(3))
      expect(
        after,
        'H14: the version after delete and re-set is greater than before the delete',
      ).toBeGreaterThan(before)
    })
  })
}
