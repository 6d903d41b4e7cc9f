import type {
  BackplaneTransport,
  Cache,
  CacheEventName,
  CacheEvents,
  CacheHandle,
} from '@cacheplane/core'
import { afterEach } from 'vitest'
import { pollUntil } from '../poll.js'
import { CuttableTransport, gatedHandle, ReadGate } from './cache-node-wrappers.js'
import { uniqueName } from './suite-options.js'

/** What `createNode` is told. Every node of one `cacheName` must share one L2 and one backplane. */
export interface CacheNodeContext {
  /** Pass as `createCache({ name })`. A fresh name per test keeps tests apart on shared stores. */
  readonly cacheName: string
  /** 0, 1, 2, ... within the cache name. */
  readonly instance: number
  /** Pass the L2 (backplane source) handle through this: the suite holds its reads for clause C10. */
  wrapL2(handle: CacheHandle): CacheHandle
  /** Pass the transport through this: the suite cuts it for clause C11 unless the node brings `faults`. */
  wrapTransport(transport: BackplaneTransport): BackplaneTransport
}

/** Faults of a node's own making, used instead of the suite's simulated cut (clause C11). */
export interface CacheNodeFaults {
  /** Cuts this node's backplane subscription (others stay connected). */
  cut(): unknown
  /** Restores it (resolve once the transport is reconnecting or back). */
  restore(): unknown
}

export interface CacheNode {
  // biome-ignore lint/suspicious/noExplicitAny: any cache value type is fine for the suite
  cache: Cache<any>
  /** Called after the suite closed the cache. */
  dispose?: () => unknown
  faults?: CacheNodeFaults
}

/** A node under test with the suite's hooks into it. */
export interface Node {
  readonly cache: Cache<unknown>
  readonly gate: ReadGate
  readonly wrappedL2: boolean
  readonly transport: CuttableTransport | undefined
  readonly faults: CacheNodeFaults | undefined
  /** Events of the cache, recorded from the node's creation on. */
  readonly events: RecordedEvent[]
}

export type RecordedEvent = {
  [E in CacheEventName]: { name: E; payload: CacheEvents[E] }
}[CacheEventName]

const recordedEvents: CacheEventName[] = [
  'entrySet',
  'entryRemoved',
  'entryExpired',
  'cacheCleared',
  'regionCleared',
  'backplaneDisconnected',
  'backplaneRecovered',
  'messagesMissed',
  'tagsInvalidated',
]

export interface CacheFixture {
  readonly timeout: number
  /** `count` nodes of one fresh cache name. */
  nodes(count: number, cacheName?: string): Promise<Node[]>
  waitFor<T>(
    attempt: () => T | undefined | false | Promise<T | undefined | false>,
    description: string,
  ): Promise<T>
}

export function useCacheNodes(
  createNode: (context: CacheNodeContext) => CacheNode | Promise<CacheNode>,
  timeout: number,
): CacheFixture {
  const created: { node: CacheNode; gate: ReadGate }[] = []

  afterEach(async () => {
    const release = created.splice(0)
    const failures: unknown[] = []
    await Promise.all(
      release.map(async ({ node, gate }) => {
        // A test that failed mid-race must not leave a read hanging on the gate.
        gate.release()
        try {
          await node.cache.close()
        } catch (error) {
          failures.push(error)
        } finally {
          await node.dispose?.()
        }
      }),
    )
    if (failures.length > 0) throw failures[0]
  })

  const createOne = async (cacheName: string, instance: number): Promise<Node> => {
    const gate = new ReadGate()
    let wrappedL2 = false
    let transport: CuttableTransport | undefined
    const node = await createNode({
      cacheName,
      instance,
      wrapL2(handle) {
        wrappedL2 = true
        return gatedHandle(handle, gate)
      },
      wrapTransport(inner) {
        transport = new CuttableTransport(inner)
        return transport
      },
    })
    created.push({ node, gate })
    const events: RecordedEvent[] = []
    for (const name of recordedEvents) {
      node.cache.on(name, (payload: unknown) => events.push({ name, payload } as RecordedEvent))
    }
    return { cache: node.cache, gate, wrappedL2, transport, faults: node.faults, events }
  }

  return {
    timeout,
    async nodes(count, cacheName = uniqueName('conformance')) {
      const nodes: Node[] = []
      for (let instance = 0; instance < count; instance++) {
        nodes.push(await createOne(cacheName, instance))
      }
      // Frames published before a node has subscribed never reach it: start once all are up.
      await pollUntil(
        () =>
          nodes.every((node) => {
            const backplane = node.cache.stats().backplane
            if (backplane === undefined) {
              throw new Error('setup: createNode must give the cache a backplane (a transport)')
            }
            return backplane.state === 'up'
          }),
        { timeout, interval: 5, description: "setup: every node's backplane to be up" },
      )
      return nodes
    },
    waitFor: (attempt, description) => pollUntil(attempt, { timeout, interval: 5, description }),
  }
}

/** The events named `name` a node recorded, with their payloads. */
export function eventsOf<E extends CacheEventName>(node: Node, name: E): CacheEvents[E][] {
  return node.events
    .filter((event) => event.name === name)
    .map((event) => event.payload as CacheEvents[E])
}

/** How many changes of (key, region) from other nodes this node has heard (set, remove, expire). */
export function remoteChanges(node: Node, key: string, region?: string): number {
  return (['entrySet', 'entryRemoved', 'entryExpired'] as const)
    .flatMap((name) => eventsOf(node, name))
    .filter((event) => event.key === key && event.region === region && event.origin === 'remote')
    .length
}
