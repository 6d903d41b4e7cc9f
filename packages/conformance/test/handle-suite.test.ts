import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import {
  type ReferenceHandle,
  ReferenceStore,
  referenceHandle,
} from '../examples/reference-handle.js'
import { describeHandleConformance } from '../src/index.js'

// The suite run against the reference handles: proves the suite passes a correct handle.
describeHandleConformance({
  name: 'reference (in-process)',
  create: () => ({ handle: referenceHandle() }),
})

const shared = new ReferenceStore()
describeHandleConformance({
  name: 'reference (serializing, one shared store)',
  create: () => ({ handle: referenceHandle({ distributed: true, store: shared }) }),
  inspect: {
    ttl: async (key, region, { handle }) => (handle as ReferenceHandle).physicalTtl(key, region),
  },
})

describeHandleConformance({
  name: 'reference (no cas, no batch, no tags, no locks)',
  create: () => ({
    handle: referenceHandle({ cas: false, batch: false, tags: false, locks: false }),
  }),
  only: ['contract', 'cas', 'batch', 'tags', 'locks'],
})

describe('describeHandleConformance options', () => {
  it('throws E_INVALID_OPTION on unknown options and unknown groups', () => {
    const create = () => ({ handle: referenceHandle() })
    const attempts = [
      () => describeHandleConformance({ name: 'x', create, inspec: {} } as never),
      () => describeHandleConformance({ name: 'x', create, only: ['tll' as never] }),
      () => describeHandleConformance({ name: '', create }),
      () => describeHandleConformance({ name: 'x' } as never),
    ]
    for (const attempt of attempts) {
      let failure: unknown
      try {
        attempt()
      } catch (error) {
        failure = error
      }
      expect(CacheplaneError.hasCode(failure, 'E_INVALID_OPTION'), String(failure)).toBe(true)
    }
  })
})
