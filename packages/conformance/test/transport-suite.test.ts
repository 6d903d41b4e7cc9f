import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { ReferenceBus, ReferenceTransport } from '../examples/reference-transport.js'
import { describeTransportConformance } from '../src/index.js'

const bus = new ReferenceBus()

describeTransportConformance({
  name: 'reference (in-process)',
  create: () => ({ transport: new ReferenceTransport(bus) }),
  faults: {
    cut: (transport) => (transport as ReferenceTransport).cut(),
    restore: (transport) => (transport as ReferenceTransport).restore(),
  },
})

describeTransportConformance({
  name: 'reference (no faults given)',
  create: () => ({ transport: new ReferenceTransport(bus) }),
  only: ['faults'],
})

describe('describeTransportConformance options', () => {
  it('throws E_INVALID_OPTION on unknown options and bad values', () => {
    const create = () => ({ transport: new ReferenceTransport(bus) })
    const attempts = [
      () => describeTransportConformance({ name: 'x', create, fault: {} } as never),
      () => describeTransportConformance({ name: 'x', create, maxFrameBytes: -1 }),
      () => describeTransportConformance({ name: 'x', create, skip: ['nope' as never] }),
      () => describeTransportConformance({ name: 'x', create, faults: { cut: () => {} } as never }),
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
