import { type CacheEntry, type CacheHandle, cborSerializer } from '@cacheplane/core'
import { afterEach, beforeEach } from 'vitest'
import { uniqueName } from './suite-options.js'

/** What `create` returns: a fresh handle, not attached yet, and how to release what the test set up for it. */
export interface HandleUnderTest {
  handle: CacheHandle
  /** Called after the suite has cleared and closed the handle (close the client you passed in here). */
  dispose?: () => unknown
}

/** Reads the store behind a handle, for the clauses a handle's own API cannot show. */
export interface HandleInspector {
  /**
   * The physical time to live the store holds for the entry, in ms:
   * `Infinity` when it never expires, `undefined` when there is no such entry.
   */
  ttl(
    key: string,
    region: string | undefined,
    context: { cacheName: string; handle: CacheHandle },
  ): Promise<number | undefined>
}

/** A handle under test, attached to a cache name of its own. */
export interface HandleSubject {
  readonly handle: CacheHandle
  readonly cacheName: string
  /** Whether a test closed the handle already (cleanup then skips clear and close). */
  closed: boolean
}

export interface HandleFixture {
  /** The handle of the running test, created and attached in `beforeEach`. */
  subject(): HandleSubject
  /** One more handle from `create`, attached to another cache name; released after the test. */
  another(): Promise<HandleSubject>
  readonly inspector: HandleInspector | undefined
  /** A time step the handle's TTL precision can resolve: max(150 ms, 3 × ttlPrecision). */
  unit(): number
  /** Slack for timing checks: the TTL precision plus scheduling noise. */
  tolerance(): number
}

/** Registers the hooks that give each test a fresh, attached handle and release it afterwards. */
export function useHandle(
  create: () => HandleUnderTest | Promise<HandleUnderTest>,
  inspector: HandleInspector | undefined,
): HandleFixture {
  let current: HandleSubject | undefined
  const opened: { subject: HandleSubject; dispose: (() => unknown) | undefined }[] = []

  const open = async (): Promise<HandleSubject> => {
    const created = await create()
    const subject: HandleSubject = {
      handle: created.handle,
      cacheName: uniqueName('conformance'),
      closed: false,
    }
    opened.push({ subject, dispose: created.dispose })
    await subject.handle.attach({ cacheName: subject.cacheName, serializer: cborSerializer() })
    return subject
  }

  beforeEach(async () => {
    current = await open()
  })

  afterEach(async () => {
    const release = opened.splice(0)
    current = undefined
    for (const { subject, dispose } of release) {
      try {
        if (!subject.closed) {
          await subject.handle.clear()
          await subject.handle.close()
        }
      } finally {
        await dispose?.()
      }
    }
  })

  const precision = () => current?.handle.capabilities.ttlPrecision ?? 1
  return {
    subject() {
      if (current === undefined) throw new Error('No handle: the suite creates one in beforeEach')
      return current
    },
    another: open,
    inspector,
    unit: () => Math.max(150, 3 * precision()),
    tolerance: () => precision() + 75,
  }
}

/** An entry with sensible defaults: fresh for a minute, kept for two, version 0. */
export function makeEntry<T>(value: T, fields: Partial<CacheEntry<T>> = {}): CacheEntry<T> {
  const now = Date.now()
  return {
    value,
    version: 0,
    createdAt: now,
    expiresAt: now + 60_000,
    staleUntil: now + 120_000,
    sliding: 0,
    tags: [],
    ...fields,
  }
}
