import { CacheplaneError, decodeFrame, encodeFrame, type Frame } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { type CacheFixture, eventsOf } from './cache-fixture.js'
import { propagated, warm } from './cache-invalidation-cases.js'
import { cacheClauses, clauseTitle } from './clauses.js'
import { uniqueName } from './suite-options.js'

const title = (id: keyof typeof cacheClauses) => clauseTitle(cacheClauses, id)
const ttl = 60_000

export function isolationCases(fixture: CacheFixture): void {
  describe('isolation', () => {
    it(title('C12'), async () => {
      const [x0, x1] = await fixture.nodes(2, uniqueName('conformance-x'))
      const [y0, y1] = await fixture.nodes(2, uniqueName('conformance-y'))
      await propagated(fixture, [x1!], ['k'], undefined, () => x0!.cache.set('k', 'x', { ttl }))
      await propagated(fixture, [y1!], ['k'], undefined, () => y0!.cache.set('k', 'y', { ttl }))
      expect(await x1!.cache.get('k'), 'C12: each cache reads its own value').toBe('x')
      expect(await y1!.cache.get('k'), 'C12: even for the same key').toBe('y')
      await warm([x1!], 'k', 'x')
      await warm([y1!], 'k', 'y')
      await x0!.cache.set('k', 'x2', { ttl })
      await x0!.cache.clear()
      await fixture.waitFor(
        () => eventsOf(x1!, 'cacheCleared').some((event) => event.origin === 'remote'),
        "C12: cache x's clear to reach its other node",
      )
      // A frame of cache y published now arrives after anything y1 could have heard from x before.
      await y0!.cache.set('fence', 1, { ttl })
      await fixture.waitFor(
        () =>
          eventsOf(y1!, 'entrySet').some(
            (event) => event.key === 'fence' && event.origin === 'remote',
          ),
        "C12: cache y's own frame to arrive",
      )
      expect(y1!.cache.peek('k'), "C12: cache x's set and clear left cache y's L1 alone").toBe('y')
      expect(
        eventsOf(y1!, 'cacheCleared').filter((event) => event.origin === 'remote'),
        "C12: cache y heard nothing of cache x's clear",
      ).toEqual([])
      expect(await y0!.cache.get('k'), "C12: cache x's clear left cache y's L2 entries alone").toBe(
        'y',
      )
    })
  })
}

interface ValidFixture {
  readonly name: string
  readonly hex: string
  readonly bytes: Uint8Array
  readonly frame: Frame
  readonly canonical?: boolean
}
interface InvalidFixture {
  readonly name: string
  readonly bytes: Uint8Array
  readonly reason: string
}

/** Imported when the clause runs, from the copy of core the adapter uses (a peer dependency). */
async function loadFixtures(): Promise<{
  valid: readonly ValidFixture[]
  invalid: readonly InvalidFixture[]
}> {
  const specifier = '@cacheplane/core/protocol-fixtures'
  const module = (await import(specifier)) as {
    protocolFixtures?: readonly ValidFixture[]
    invalidProtocolFixtures?: readonly InvalidFixture[]
  }
  return { valid: module.protocolFixtures ?? [], invalid: module.invalidProtocolFixtures ?? [] }
}

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

export function protocolCases(): void {
  describe('protocol', () => {
    it(title('C13'), async () => {
      const { valid } = await loadFixtures()
      expect(
        valid.length,
        'C13: @cacheplane/core/protocol-fixtures exports protocolFixtures',
      ).toBeGreaterThan(0)
      for (const fixture of valid) {
        expect(toHex(fixture.bytes), `C13: ${fixture.name}: bytes and hex agree`).toBe(
          fixture.hex.toLowerCase(),
        )
        expect(decodeFrame(fixture.bytes), `C13: ${fixture.name} decodes to its frame`).toEqual(
          fixture.frame,
        )
        if (fixture.canonical !== false) {
          expect(
            toHex(encodeFrame(fixture.frame)),
            `C13: ${fixture.name} encodes to its bytes`,
          ).toBe(toHex(fixture.bytes))
        }
      }
    })

    it(title('C14'), async () => {
      const { invalid } = await loadFixtures()
      expect(
        invalid.length,
        'C14: @cacheplane/core/protocol-fixtures exports invalidProtocolFixtures',
      ).toBeGreaterThan(0)
      for (const fixture of invalid) {
        let failure: unknown
        try {
          decodeFrame(fixture.bytes)
        } catch (error) {
          failure = error
        }
        expect(
          CacheplaneError.hasCode(failure, 'E_BACKPLANE_DECODE'),
          `C14: ${fixture.name} (${fixture.reason}) is rejected with E_BACKPLANE_DECODE`,
        ).toBe(true)
      }
    })
  })
}
