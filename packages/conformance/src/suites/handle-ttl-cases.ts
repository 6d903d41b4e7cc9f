import { describe, expect, it } from 'vitest'
import { delay, pollUntil } from '../poll.js'
import { clauseTitle, handleClauses } from './clauses.js'
import { type HandleFixture, makeEntry } from './handle-fixture.js'

const title = (id: keyof typeof handleClauses) => clauseTitle(handleClauses, id)

/**
 * Real time and short TTLs: a Redis server cannot see fake timers. Every wait
 * is a bounded poll; the steps scale with the handle's TTL precision.
 */
export function ttlCases(fixture: HandleFixture): void {
  describe('ttl', () => {
    it(title('H15'), async () => {
      const { handle } = fixture.subject()
      const unit = fixture.unit()
      const tolerance = fixture.tolerance()
      const now = Date.now()
      const staleUntil = now + 2 * unit
      await handle.set('k', 'r', makeEntry('v', { expiresAt: now + unit, staleUntil }))
      expect((await handle.get('k', 'r'))?.value, 'H15: present right after set').toBe('v')
      await pollUntil(async () => (await handle.get('k', 'r')) === undefined || undefined, {
        timeout: 2 * unit + tolerance + 2_000,
        description: 'H15: the entry to be gone after staleUntil',
      })
      const goneAt = Date.now()
      expect(
        goneAt,
        `H15: gone no earlier than staleUntil minus the TTL precision (${tolerance}ms early at most)`,
      ).toBeGreaterThanOrEqual(staleUntil - tolerance)
    })

    it(title('H16'), async () => {
      const { handle } = fixture.subject()
      const now = Date.now()
      await handle.set(
        'k',
        undefined,
        makeEntry('stale', { expiresAt: now - 1_000, staleUntil: now + 60_000 }),
      )
      const stored = await handle.get('k', undefined)
      expect(stored?.value, 'H16: a logically expired entry is still returned').toBe('stale')
      expect(stored?.expiresAt, 'H16: with its expiresAt in the past').toBe(now - 1_000)
    })

    it(title('H17'), async () => {
      const { handle, cacheName } = fixture.subject()
      await handle.set(
        'forever',
        undefined,
        makeEntry('v', {
          expiresAt: Number.POSITIVE_INFINITY,
          staleUntil: Number.POSITIVE_INFINITY,
        }),
      )
      const stored = await handle.get('forever', undefined)
      expect(stored?.expiresAt, 'H17: expiresAt Infinity round-trips').toBe(
        Number.POSITIVE_INFINITY,
      )
      expect(stored?.staleUntil, 'H17: staleUntil Infinity round-trips').toBe(
        Number.POSITIVE_INFINITY,
      )
      if (fixture.inspector !== undefined) {
        const ttl = await fixture.inspector.ttl('forever', undefined, { cacheName, handle })
        expect(ttl, 'H17: the store keeps the entry without expiry').toBe(Number.POSITIVE_INFINITY)
      }
    })

    it(title('H18'), async () => {
      const { handle } = fixture.subject()
      const unit = fixture.unit()
      const tolerance = fixture.tolerance()
      const sliding = 2 * unit
      const grace = unit
      const start = Date.now()
      await handle.set(
        's',
        undefined,
        makeEntry('slides', {
          sliding,
          expiresAt: start + sliding,
          staleUntil: start + sliding + grace,
        }),
      )
      // Read past the first staleUntil: only a renewal in the store keeps it alive that long.
      const readUntil = start + sliding + grace + unit
      while (Date.now() < readUntil) {
        await delay(unit / 2)
        const readAt = Date.now()
        const stored = await handle.get('s', undefined)
        expect(
          stored?.value,
          `H18: still there ${readAt - start}ms after set while being read`,
        ).toBe('slides')
        if (stored === undefined) return
        expect(
          stored.expiresAt,
          'H18: expiresAt moved to about now + sliding',
        ).toBeGreaterThanOrEqual(readAt + sliding - tolerance)
        expect(stored.staleUntil - stored.expiresAt, 'H18: the grace period is kept').toBe(grace)
      }
      // A poll would renew the entry with each read: wait out its lifetime instead.
      await delay(sliding + grace + tolerance)
      expect(
        await handle.get('s', undefined),
        'H18: gone sliding + grace after the last read',
      ).toBeUndefined()
    })

    it(title('H19'), async (context) => {
      const inspector = fixture.inspector
      if (inspector === undefined) {
        context.skip('H19 needs options.inspect.ttl to read the physical TTL from the store')
        return
      }
      const { handle, cacheName } = fixture.subject()
      const tolerance = fixture.tolerance()
      const inspect = (key: string, region: string | undefined) =>
        inspector.ttl(key, region, { cacheName, handle })
      const now = Date.now()
      await handle.set(
        'k',
        'r',
        makeEntry('v', { expiresAt: now + 10_000, staleUntil: now + 30_000 }),
      )
      const ttl = await inspect('k', 'r')
      expect(ttl, 'H19: the physical TTL is about staleUntil - now').toBeGreaterThan(
        30_000 - tolerance - 250,
      )
      expect(ttl, 'H19: and not longer').toBeLessThanOrEqual(30_000 + tolerance)
      await handle.expire('k', 'r', Date.now())
      expect(await inspect('k', 'r'), 'H19: expire keeps the physical TTL').toBeGreaterThan(
        30_000 - tolerance - 500,
      )
      const slidingStart = Date.now()
      await handle.set(
        's',
        undefined,
        makeEntry('v', {
          sliding: 20_000,
          expiresAt: slidingStart + 1_000,
          staleUntil: slidingStart + 6_000,
        }),
      )
      await handle.get('s', undefined)
      expect(
        await inspect('s', undefined),
        'H19: a sliding read renews the physical TTL to sliding + grace',
      ).toBeGreaterThan(25_000 - tolerance - 250)
      expect(
        await inspect('missing', undefined),
        'H19: inspect says undefined for an absent entry',
      ).toBeUndefined()
    })
  })
}
