import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { type CacheFixture, eventsOf, type Node } from './cache-fixture.js'
import { propagated, warm } from './cache-invalidation-cases.js'
import { cacheClauses, clauseTitle } from './clauses.js'

const title = (id: keyof typeof cacheClauses) => clauseTitle(cacheClauses, id)
const ttl = 60_000

/** True when the error says the L2 handle lacks the feature (the clause is then skipped). */
function unsupported(error: unknown): boolean {
  return CacheplaneError.isInstance(error) && error.code === 'E_UNSUPPORTED'
}

/** Waits until every node heard `count` tag invalidations from the others. */
async function heardTags(
  fixture: CacheFixture,
  nodes: readonly Node[],
  count: number,
  clause: string,
): Promise<void> {
  await fixture.waitFor(
    () =>
      nodes.every(
        (node) =>
          eventsOf(node, 'tagsInvalidated').filter((event) => event.origin === 'remote').length >=
          count,
      ),
    `${clause}: every other node to hear tag invalidation ${count}`,
  )
}

export function featureCases(fixture: CacheFixture): void {
  describe('features', () => {
    it(title('C15'), async (context) => {
      const [writer, ...others] = await fixture.nodes(3)
      try {
        await propagated(fixture, others, ['tagged', 'plain'], undefined, async () => {
          await writer!.cache.set('tagged', 'T1', { ttl, tags: ['t:1'] })
          await writer!.cache.set('plain', 'P', { ttl })
        })
      } catch (error) {
        if (unsupported(error)) context.skip('the L2 handle does not declare capabilities.tags')
        throw error
      }
      await warm(others, 'tagged', 'T1')
      await warm(others, 'plain', 'P')
      await writer!.cache.invalidateTags(['t:1'])
      await heardTags(fixture, others, 1, 'C15')
      for (const [index, node] of [writer!, ...others].entries()) {
        expect(
          node.cache.peek('tagged'),
          `C15: node ${index} no longer serves the tagged entry from L1`,
        ).toBeUndefined()
        expect(
          await node.cache.get('tagged'),
          `C15: node ${index} misses the tagged entry in every layer`,
        ).toBeUndefined()
        expect(
          await node.cache.get('plain'),
          `C15: node ${index} still reads the untagged entry`,
        ).toBe('P')
      }
      // Re-tagged: the old tag no longer reaches the entry, the new one does.
      await propagated(fixture, others, ['tagged'], undefined, () =>
        writer!.cache.set('tagged', 'T2', { ttl, tags: ['t:2'] }),
      )
      await warm(others, 'tagged', 'T2')
      await writer!.cache.invalidateTags(['t:1'])
      await heardTags(fixture, others, 2, 'C15')
      for (const [index, node] of [writer!, ...others].entries()) {
        expect(
          await node.cache.get('tagged'),
          `C15: node ${index} keeps an entry whose old tag was invalidated`,
        ).toBe('T2')
      }
      await writer!.cache.invalidateTags(['t:2'])
      await heardTags(fixture, others, 3, 'C15')
      for (const [index, node] of [writer!, ...others].entries()) {
        expect(
          await node.cache.get('tagged'),
          `C15: node ${index} misses the entry once its new tag is invalidated`,
        ).toBeUndefined()
      }
    })

    it(title('C16'), async (context) => {
      const nodes = await fixture.nodes(3)
      let calls = 0
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const factory = async () => {
        calls++
        await gate
        return 'computed once'
      }
      const settled = Promise.allSettled(
        nodes.flatMap((node) =>
          Array.from({ length: 20 }, () =>
            node.cache.getOrSet('stampede', factory, { ttl, fleetLock: true }),
          ),
        ),
      )
      // Every node's getOrSet began before the factory started, so all of them missed the L2.
      await fixture.waitFor(() => calls > 0, 'C16: one node to run the factory')
      release()
      const outcomes = await settled
      const failure = outcomes.find((outcome) => outcome.status === 'rejected')
      if (failure !== undefined && unsupported(failure.reason)) {
        context.skip('the L2 handle does not declare capabilities.locks')
      }
      expect(failure, 'C16: every getOrSet succeeds').toBeUndefined()
      expect(
        new Set(outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value)),
        'C16: every caller gets the one value',
      ).toEqual(new Set(['computed once']))
      expect(calls, 'C16: the factory ran once in the fleet').toBe(1)
    })
  })
}
