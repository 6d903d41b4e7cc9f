import { describe, expect, it } from 'vitest'
import { type CacheFixture, eventsOf, type Node, remoteChanges } from './cache-fixture.js'
import { cacheClauses, clauseTitle } from './clauses.js'

const title = (id: keyof typeof cacheClauses) => clauseTitle(cacheClauses, id)
const ttl = 60_000

/** Reads the key on every node so that each holds it in L1, and checks that it does. */
export async function warm(
  nodes: readonly Node[],
  key: string,
  expected: unknown,
  region?: string,
): Promise<void> {
  const options = region === undefined ? undefined : { region }
  for (const [index, node] of nodes.entries()) {
    expect(
      await node.cache.get(key, options),
      `setup: node ${index} reads ${key} from the L2`,
    ).toEqual(expected)
    expect(
      node.cache.peek(key, options),
      `setup: node ${index} holds ${key} in L1 after a get (createNode must put an L1 above the L2)`,
    ).toEqual(expected)
  }
}

/**
 * Runs a write and waits until every one of `nodes` heard its invalidation
 * for each of `keys`, so that no late frame of the setup evicts what the test
 * puts into L1 next.
 */
export async function propagated(
  fixture: CacheFixture,
  nodes: readonly Node[],
  keys: readonly string[],
  region: string | undefined,
  write: () => Promise<unknown>,
): Promise<void> {
  const heard = (node: Node, key: string) => remoteChanges(node, key, region)
  const before = nodes.map((node) => keys.map((key) => heard(node, key)))
  await write()
  await fixture.waitFor(
    () =>
      nodes.every((node, index) =>
        keys.every((key, at) => heard(node, key) > (before[index]?.[at] ?? 0)),
      ),
    `setup: the write of ${keys.join(', ')} to reach the other nodes`,
  )
}

/** Waits until none of `nodes` serves `stale` from L1 for the key. */
async function dropped(
  fixture: CacheFixture,
  nodes: readonly Node[],
  key: string,
  stale: unknown,
  clause: string,
  region?: string,
): Promise<void> {
  const options = region === undefined ? undefined : { region }
  await fixture.waitFor(
    () => nodes.every((node) => node.cache.peek(key, options) !== stale),
    `${clause}: the other nodes to drop ${key}${region === undefined ? '' : ` in region ${region}`} from L1`,
  )
}

export function invalidationCases(fixture: CacheFixture): void {
  describe('invalidation', () => {
    it(title('C1'), async () => {
      const nodes = await fixture.nodes(3)
      const ids = nodes.map((node) => node.cache.instanceId)
      expect(new Set(ids).size, 'C1: every node has its own instance id').toBe(3)
      await nodes[0]!.cache.set('shared', 'from node 0', { ttl })
      expect(
        await nodes[2]!.cache.get('shared'),
        'C1: a value set on one node is read on another',
      ).toBe('from node 0')
    })

    it(title('C2'), async () => {
      const [writer, ...others] = await fixture.nodes(3)
      await propagated(fixture, others, ['k'], undefined, () =>
        writer!.cache.set('k', 'old', { ttl }),
      )
      await warm(others, 'k', 'old')
      await writer!.cache.set('k', 'new', { ttl })
      await dropped(fixture, others, 'k', 'old', 'C2')
      for (const [index, node] of others.entries()) {
        expect(await node.cache.get('k'), `C2: node ${index + 1} gets the new value`).toBe('new')
      }
    })

    it(title('C3'), async () => {
      const [writer, ...others] = await fixture.nodes(3)
      await propagated(fixture, others, ['k'], 'r', () =>
        writer!.cache.set('k', 'old', { ttl, region: 'r' }),
      )
      await warm(others, 'k', 'old', 'r')
      expect(
        await writer!.cache.delete('k', { region: 'r' }),
        'C3: delete says the key existed',
      ).toBe(true)
      await dropped(fixture, others, 'k', 'old', 'C3', 'r')
      for (const [index, node] of others.entries()) {
        expect(
          await node.cache.get('k', { region: 'r' }),
          `C3: node ${index + 1} finds nothing`,
        ).toBeUndefined()
      }
    })

    it(title('C4'), async () => {
      const [writer, ...others] = await fixture.nodes(3)
      await propagated(fixture, others, ['k'], undefined, () =>
        writer!.cache.set('k', 'old', { ttl, grace: ttl }),
      )
      await warm(others, 'k', 'old')
      await writer!.cache.expire('k')
      await dropped(fixture, others, 'k', 'old', 'C4')
      for (const [index, node] of others.entries()) {
        expect(await node.cache.has('k'), `C4: node ${index + 1} no longer has a fresh value`).toBe(
          false,
        )
      }
    })

    it(title('C5'), async () => {
      const [writer, ...others] = await fixture.nodes(3)
      await propagated(fixture, others, ['a'], undefined, () =>
        writer!.cache.set('a', 'A', { ttl }),
      )
      await propagated(fixture, others, ['b'], 'r', () =>
        writer!.cache.set('b', 'B', { ttl, region: 'r' }),
      )
      await warm(others, 'a', 'A')
      await warm(others, 'b', 'B', 'r')
      await writer!.cache.clear()
      await dropped(fixture, others, 'a', 'A', 'C5')
      await dropped(fixture, others, 'b', 'B', 'C5', 'r')
      for (const [index, node] of others.entries()) {
        expect(await node.cache.get('a'), `C5: node ${index + 1} finds no a`).toBeUndefined()
        expect(
          await node.cache.get('b', { region: 'r' }),
          `C5: node ${index + 1} finds no b`,
        ).toBeUndefined()
      }
    })

    it(title('C6'), async () => {
      const [writer, ...others] = await fixture.nodes(3)
      for (const region of ['gone', 'kept', undefined]) {
        await propagated(fixture, others, ['k'], region, () =>
          writer!.cache.set('k', `in ${region}`, { ttl, region }),
        )
        await warm(others, 'k', `in ${region}`, region)
      }
      await writer!.cache.clearRegion('gone')
      await dropped(fixture, others, 'k', 'in gone', 'C6', 'gone')
      for (const [index, node] of others.entries()) {
        expect(
          await node.cache.get('k', { region: 'gone' }),
          `C6: node ${index + 1}: the region is empty`,
        ).toBeUndefined()
        expect(
          node.cache.peek('k', { region: 'kept' }),
          `C6: node ${index + 1} keeps another region in L1`,
        ).toBe('in kept')
        expect(node.cache.peek('k'), `C6: node ${index + 1} keeps keys without region in L1`).toBe(
          'in undefined',
        )
      }
    })

    it(title('C7'), async () => {
      const [writer, ...others] = await fixture.nodes(3)
      await propagated(fixture, others, ['a', 'b', 'c'], undefined, () =>
        writer!.cache.setMany(
          ['a', 'b', 'c'].map((key) => ({ key, value: `old ${key}` })),
          { ttl },
        ),
      )
      for (const key of ['a', 'b', 'c']) await warm(others, key, `old ${key}`)
      await propagated(fixture, others, ['a', 'b'], undefined, () =>
        writer!.cache.setMany([
          { key: 'a', value: 'new a' },
          { key: 'b', value: 'new b' },
        ]),
      )
      await dropped(fixture, others, 'a', 'old a', 'C7 setMany')
      await dropped(fixture, others, 'b', 'old b', 'C7 setMany')
      for (const node of others)
        expect(node.cache.peek('c'), 'C7: setMany leaves other keys in L1').toBe('old c')
      for (const key of ['a', 'b']) await warm(others, key, `new ${key}`)
      expect(
        await writer!.cache.deleteMany(['a', 'c', 'missing']),
        'C7: deleteMany counts what existed',
      ).toBe(2)
      await dropped(fixture, others, 'a', 'new a', 'C7 deleteMany')
      await dropped(fixture, others, 'c', 'old c', 'C7 deleteMany')
      for (const [index, node] of others.entries()) {
        expect(
          await node.cache.getMany(['a', 'b', 'c']),
          `C7: node ${index + 1} after deleteMany`,
        ).toEqual([undefined, 'new b', undefined])
      }
    })

    it(title('C8'), async () => {
      const [writer, listener] = await fixture.nodes(2)
      const remote = { key: 'k', region: 'r', origin: 'remote' } as const
      // One change at a time: an engine may coalesce changes of one key sent together.
      const announced = async (
        change: () => Promise<unknown>,
        event: string,
        matches: () => boolean,
      ) => {
        await change()
        await fixture.waitFor(matches, `C8: ${event} with origin remote on the other node`)
      }
      const has = (list: readonly object[], expected: Record<string, unknown>) =>
        list.some((item) =>
          Object.entries(expected).every(
            ([field, value]) => (item as Record<string, unknown>)[field] === value,
          ),
        )
      await announced(
        () => writer!.cache.set('k', 1, { ttl, region: 'r' }),
        'entrySet',
        () => has(eventsOf(listener!, 'entrySet'), remote),
      )
      await announced(
        () => writer!.cache.expire('k', { region: 'r' }),
        'entryExpired',
        () => has(eventsOf(listener!, 'entryExpired'), remote),
      )
      await announced(
        () => writer!.cache.delete('k', { region: 'r' }),
        'entryRemoved',
        () => has(eventsOf(listener!, 'entryRemoved'), remote),
      )
      await announced(
        () => writer!.cache.clearRegion('r'),
        'regionCleared',
        () => has(eventsOf(listener!, 'regionCleared'), { region: 'r', origin: 'remote' }),
      )
      await announced(
        () => writer!.cache.clear(),
        'cacheCleared',
        () => has(eventsOf(listener!, 'cacheCleared'), { origin: 'remote' }),
      )
      expect(
        eventsOf(writer!, 'entrySet'),
        'C8: the writer announces its own change as local',
      ).toContainEqual({
        ...remote,
        origin: 'local',
      })
    })
  })
}
