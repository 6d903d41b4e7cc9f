import { describe, expect, it } from 'vitest'
import { type CacheFixture, eventsOf, remoteChanges } from './cache-fixture.js'
import { warm } from './cache-invalidation-cases.js'
import { cacheClauses, clauseTitle } from './clauses.js'

const title = (id: keyof typeof cacheClauses) => clauseTitle(cacheClauses, id)
const ttl = 60_000

export function ownFrameCases(fixture: CacheFixture): void {
  describe('ownFrames', () => {
    it(title('C9'), async () => {
      const [writer, other] = await fixture.nodes(2)
      const ignoredBefore = writer!.cache.stats().backplane?.ownFramesIgnored ?? 0
      await writer!.cache.set('k', 'mine', { ttl })
      await fixture.waitFor(
        () => remoteChanges(other!, 'k') > 0,
        'C9: the frame to reach the other node',
      )
      await fixture.waitFor(
        () => (writer!.cache.stats().backplane?.ownFramesIgnored ?? 0) > ignoredBefore,
        'C9: the writer to count its own frame as ignored (stats().backplane.ownFramesIgnored)',
      )
      expect(writer!.cache.peek('k'), 'C9: the writer keeps its own write in L1').toBe('mine')
      expect(
        remoteChanges(writer!, 'k'),
        'C9: the writer reports no remote change for its own write',
      ).toBe(0)
    })
  })
}

export function raceCases(fixture: CacheFixture): void {
  describe('race', () => {
    it(title('C10'), async () => {
      const [reader, writer] = await fixture.nodes(2)
      expect(
        reader!.wrappedL2,
        'C10: createNode must pass its L2 handle through context.wrapL2',
      ).toBe(true)
      for (const change of ['set', 'delete'] as const) {
        const key = `raced-${change}`
        await writer!.cache.set(key, 'old', { ttl })
        // That write's own invalidation must not be mistaken for the one raced below.
        await fixture.waitFor(
          () => remoteChanges(reader!, key) > 0,
          `C10 (${change}): the first write to arrive`,
        )
        const heardBefore = remoteChanges(reader!, key)
        reader!.gate.hold()
        const read = reader!.cache.get(key)
        // The L2 has answered with the old value; the cache has not seen the answer yet.
        await fixture.waitFor(
          () => reader!.gate.waiting > 0,
          `C10 (${change}): the read to reach the L2`,
        )
        if (change === 'set') await writer!.cache.set(key, 'new', { ttl })
        else await writer!.cache.delete(key)
        await fixture.waitFor(
          () => remoteChanges(reader!, key) > heardBefore,
          `C10 (${change}): the invalidation to reach the reading node`,
        )
        reader!.gate.release()
        await read
        const expected = change === 'set' ? 'new' : undefined
        expect(
          reader!.cache.peek(key),
          `C10 (${change}): the value read before the invalidation must not sit in L1 as fresh`,
        ).not.toBe('old')
        expect(await reader!.cache.get(key), `C10 (${change}): the next get sees the change`).toBe(
          expected,
        )
      }
    })
  })
}

export function recoveryCases(fixture: CacheFixture): void {
  describe('recovery', () => {
    it(title('C11'), async () => {
      const [victim, writer, witness] = await fixture.nodes(3)
      const faults = victim!.faults ?? victim!.transport
      expect(
        faults,
        'C11: createNode must return faults ({ cut, restore }) or pass its transport through context.wrapTransport',
      ).toBeDefined()
      await writer!.cache.set('k', 'old', { ttl })
      await fixture.waitFor(() => remoteChanges(victim!, 'k') > 0, 'C11: the first write to arrive')
      await warm([victim!], 'k', 'old')
      const heardBefore = remoteChanges(victim!, 'k')
      await faults!.cut()
      await fixture.waitFor(
        () => eventsOf(victim!, 'backplaneDisconnected').length > 0,
        'C11: backplaneDisconnected after the cut',
      )
      await writer!.cache.set('k', 'new', { ttl })
      // The witness hearing it proves the write was published while the victim was cut off.
      await fixture.waitFor(
        () => remoteChanges(witness!, 'k') > 1,
        'C11: the write to reach a connected node',
      )
      expect(
        remoteChanges(victim!, 'k'),
        'C11: the cut node did not hear the write (the cut works)',
      ).toBe(heardBefore)
      await faults!.restore()
      await fixture.waitFor(
        () => eventsOf(victim!, 'backplaneRecovered').length > 0,
        'C11: backplaneRecovered after the restore',
      )
      await fixture.waitFor(
        async () => (await victim!.cache.get('k')) === 'new',
        'C11: the restored node to serve the value written while it was cut off',
      )
    })
  })
}
