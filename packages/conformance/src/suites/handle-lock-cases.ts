import type { CacheHandle } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { delay, pollUntil } from '../poll.js'
import { clauseTitle, handleClauses } from './clauses.js'
import { confusablePairs } from './handle-data-cases.js'
import { type HandleFixture, makeEntry } from './handle-fixture.js'

const title = (id: keyof typeof handleClauses) => clauseTitle(handleClauses, id)
const parallelOwners = 20
/** Long enough never to run out during a test that does not wait for it. */
const longLease = 60_000

type Skip = (note: string) => void

/** The lock calls of a handle that claims them; skips the test otherwise. */
function requireLocks(handle: CacheHandle, skip: Skip) {
  if (handle.capabilities.locks !== true) {
    skip('capabilities.locks is not true: the handle does not claim acquireLock and releaseLock')
  }
  return {
    acquire: async (key: string, region: string | undefined, owner: string, leaseMs = longLease) =>
      handle.acquireLock!(key, region, owner, leaseMs),
    release: async (key: string, region: string | undefined, owner: string) =>
      handle.releaseLock!(key, region, owner),
  }
}

/** Real time, as in the ttl group: leases scale with the TTL precision, waits are bounded polls. */
export function lockCases(fixture: HandleFixture): void {
  describe('locks', () => {
    it(title('H42'), async (context) => {
      const { acquire } = requireLocks(fixture.subject().handle, (note) => context.skip(note))
      expect(await acquire('k', undefined, 'A'), 'H42: a free lock goes to its first owner').toBe(
        true,
      )
      expect(await acquire('k', undefined, 'B'), 'H42: another owner is refused').toBe(false)
      expect(await acquire('k', undefined, 'A'), 'H42: the holder re-acquires it').toBe(true)
      expect(await acquire('k', undefined, 'B'), 'H42: another owner is still refused').toBe(false)
    })

    it(title('H43'), async (context) => {
      const { acquire, release } = requireLocks(fixture.subject().handle, (note) =>
        context.skip(note),
      )
      await acquire('k', 'r', 'A')
      expect(await release('k', 'r', 'B'), 'H43: another owner cannot release it').toBe(false)
      expect(await acquire('k', 'r', 'B'), 'H43: the lock is still held after that').toBe(false)
      expect(await release('k', 'r', 'A'), 'H43: the owner releases it').toBe(true)
      expect(await release('k', 'r', 'A'), 'H43: releasing a free lock returns false').toBe(false)
      expect(await acquire('k', 'r', 'B'), 'H43: another owner takes it once released').toBe(true)
      expect(await release('missing', 'r', 'A'), 'H43: no lock, nothing released').toBe(false)
    })

    it(title('H44'), async (context) => {
      const { acquire } = requireLocks(fixture.subject().handle, (note) => context.skip(note))
      const tolerance = fixture.tolerance()
      // Half a lease must exceed the tolerance, or a lease that is not extended would pass.
      const lease = 2 * fixture.unit()
      const freedAfter = (key: string) =>
        pollUntil(async () => (await acquire(key, undefined, 'B', lease)) && Date.now(), {
          timeout: 2 * lease + tolerance + 2_000,
          description: `H44: the lock of ${key} to be free once its lease ran out`,
        })

      const takenAt = Date.now()
      expect(await acquire('expires', undefined, 'A', lease), 'H44: taken').toBe(true)
      expect(await acquire('expires', undefined, 'B', lease), 'H44: held meanwhile').toBe(false)
      expect(
        await freedAfter('expires'),
        `H44: free no earlier than the lease's end (${tolerance}ms early at most)`,
      ).toBeGreaterThanOrEqual(takenAt + lease - tolerance)

      expect(await acquire('extended', undefined, 'A', lease), 'H44: taken again').toBe(true)
      await delay(lease / 2)
      const extendedAt = Date.now()
      expect(await acquire('extended', undefined, 'A', lease), 'H44: the holder extends').toBe(true)
      expect(
        await freedAfter('extended'),
        'H44: the extended lease runs leaseMs from the re-acquire, not from the first acquire',
      ).toBeGreaterThanOrEqual(extendedAt + lease - tolerance)
    })

    it(title('H45'), async (context) => {
      const { acquire, release } = requireLocks(fixture.subject().handle, (note) =>
        context.skip(note),
      )
      const owners = Array.from({ length: parallelOwners }, (_, index) => `owner-${index}`)
      const results = await Promise.all(owners.map((owner) => acquire('hot', 'r', owner)))
      const winners = owners.filter((_, index) => results[index])
      expect(winners.length, 'H45: exactly one parallel acquireLock got the lock').toBe(1)
      for (const owner of owners.filter((owner) => owner !== winners[0])) {
        expect(await release('hot', 'r', owner), `H45: ${owner} lost, so holds nothing`).toBe(false)
      }
      expect(await release('hot', 'r', winners[0]!), 'H45: the winner holds the lock').toBe(true)
    })

    it(title('H46'), async (context) => {
      const { handle } = fixture.subject()
      const { acquire, release } = requireLocks(handle, (note) => context.skip(note))
      const version = await handle.set('k', undefined, makeEntry('kept', { tags: ['t'] }))
      expect(await acquire('k', undefined, 'A'), 'H46: a key with an entry can be locked').toBe(
        true,
      )
      for (const [index, [region, key]] of confusablePairs.entries()) {
        const pair = `(${JSON.stringify(region)}, ${JSON.stringify(key)})`
        expect(await acquire(key, region, `owner-${index}`), `H46: ${pair} has its own lock`).toBe(
          true,
        )
      }
      for (const [index, [region, key]] of confusablePairs.entries()) {
        const pair = `(${JSON.stringify(region)}, ${JSON.stringify(key)})`
        expect(await release(key, region, 'intruder'), `H46: ${pair} refuses another owner`).toBe(
          false,
        )
        expect(await release(key, region, `owner-${index}`), `H46: ${pair} releases alone`).toBe(
          true,
        )
      }
      expect(
        await handle.get(confusablePairs[0]![1], confusablePairs[0]![0]),
        'H46: taking a lock creates no entry',
      ).toBeUndefined()
      const stored = await handle.get('k', undefined)
      expect(stored?.value, 'H46: the locked entry keeps its value').toBe('kept')
      expect(stored?.version, 'H46: and its version').toBe(version)
      await handle.delete('k', undefined)
      expect(await acquire('k', undefined, 'B'), 'H46: deleting the entry keeps the lock').toBe(
        false,
      )
      const rewritten = await handle.set('k', undefined, makeEntry('new'))
      expect(await release('k', undefined, 'A'), 'H46: a set keeps the lock too').toBe(true)
      expect((await handle.get('k', undefined))?.version, 'H46: release keeps the entry').toBe(
        rewritten,
      )
      const theirs = requireLocks((await fixture.another()).handle, (note) => context.skip(note))
      await acquire('shared', undefined, 'A')
      expect(
        await theirs.acquire('shared', undefined, 'B'),
        "H46: another cache's lock of the same key is separate",
      ).toBe(true)
    })
  })
}
