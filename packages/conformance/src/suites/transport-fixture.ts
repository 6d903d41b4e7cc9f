import type { BackplaneTransport, TransportStatus } from '@cacheplane/core'
import { afterEach } from 'vitest'
import { pollUntil } from '../poll.js'
import { uniqueName } from './suite-options.js'

/** What `create` returns: a fresh transport, not connected yet, on the same bus as the others. */
export interface TransportUnderTest {
  transport: BackplaneTransport
  /** Called after the suite closed the transport (close the clients you passed in here). */
  dispose?: () => unknown
}

/** Cuts and restores a transport's connection, for the fault clauses (T8, T9). */
export interface TransportFaults {
  /** Takes the subscription down, such as `transport.disconnect()` or killing its Redis connection. */
  cut(transport: BackplaneTransport): unknown
  /** Lets it come back (a no-op where the client reconnects by itself). */
  restore(transport: BackplaneTransport): unknown
}

/** A connected transport and everything its listener heard. */
export interface Peer {
  readonly transport: BackplaneTransport
  readonly frames: Uint8Array[]
  readonly statuses: TransportStatus[]
  closed: boolean
  /** Frames starting with `tag`, in arrival order. */
  tagged(tag: number): Uint8Array[]
}

export interface TransportFixture {
  readonly channel: () => string
  readonly timeout: number
  /** A transport from `create`, connected to `channel` (default: the test's channel). */
  connect(channel?: string): Promise<Peer>
  /** A transport from `create`, not connected; closed and disposed after the test. */
  create(): Promise<TransportUnderTest>
  /** The option's own `create`: the caller closes and disposes what it returns. */
  createUntracked(): Promise<TransportUnderTest>
  waitFor<T>(
    attempt: () => T | undefined | false,
    description: string,
    timeout?: number,
  ): Promise<T>
}

/** Frames in the suites start with a tag byte, so that a test can pick out its own. */
export function frame(tag: number, body: Uint8Array = new Uint8Array()): Uint8Array {
  const bytes = new Uint8Array(body.length + 1)
  bytes[0] = tag
  bytes.set(body, 1)
  return bytes
}

export function useTransports(
  create: () => TransportUnderTest | Promise<TransportUnderTest>,
  timeout: number,
): TransportFixture {
  let channel = uniqueName('cacheplane-conformance')
  const created: {
    transport: BackplaneTransport
    dispose: (() => unknown) | undefined
    peer?: Peer
  }[] = []

  afterEach(async () => {
    channel = uniqueName('cacheplane-conformance')
    const release = created.splice(0)
    const failures: unknown[] = []
    for (const item of release) {
      try {
        if (item.peer?.closed !== true) await item.transport.close()
      } catch (error) {
        failures.push(error)
      } finally {
        await item.dispose?.()
      }
    }
    if (failures.length > 0) throw failures[0]
  })

  const createOne = async () => {
    const result = await create()
    created.push({ transport: result.transport, dispose: result.dispose })
    return result
  }

  return {
    channel: () => channel,
    timeout,
    create: createOne,
    createUntracked: async () => create(),
    async connect(on = channel) {
      const { transport } = await createOne()
      const frames: Uint8Array[] = []
      const statuses: TransportStatus[] = []
      const peer: Peer = {
        transport,
        frames,
        statuses,
        closed: false,
        tagged: (tag) => frames.filter((bytes) => bytes[0] === tag),
      }
      const item = created.find((candidate) => candidate.transport === transport)
      if (item !== undefined) item.peer = peer
      await transport.connect(on, {
        // A copy: the suite must see the bytes as delivered, whatever the transport does with its buffer later.
        onFrame: (bytes) =>
          frames.push(bytes instanceof Uint8Array ? Uint8Array.from(bytes) : bytes),
        onStatus: (status) => statuses.push(status),
      })
      return peer
    },
    waitFor: (attempt, description, limit = timeout) =>
      pollUntil(attempt, { timeout: limit, interval: 5, description }),
  }
}
