import type { BackplaneTransport, TransportListener } from '@cacheplane/core'
import { ReferenceBus, ReferenceTransport } from '../../examples/reference-transport.js'
import { describeTransportConformance } from '../../src/index.js'

const bus = new ReferenceBus()

/** A reference transport with some of its behaviour replaced. */
function mutant(change: (inner: ReferenceTransport) => Partial<BackplaneTransport>) {
  return () => {
    const inner = new ReferenceTransport(bus)
    const transport: BackplaneTransport = {
      specificationVersion: 'v1',
      kind: 'mutant',
      connect: (channel, listener) => inner.connect(channel, listener),
      publish: (frame) => inner.publish(frame),
      close: () => inner.close(),
      ...change(inner),
    }
    return { transport }
  }
}

const faults = {
  cut: (transport: BackplaneTransport) =>
    (transport as unknown as { inner: ReferenceTransport }).inner.cut(),
  restore: (transport: BackplaneTransport) =>
    (transport as unknown as { inner: ReferenceTransport }).inner.restore(),
}

describeTransportConformance({
  name: 'mutant T3: a publisher does not hear itself',
  create: mutant((inner) => {
    const own = new Set<string>()
    return {
      connect: (channel, listener) =>
        inner.connect(channel, {
          onStatus: (status) => listener.onStatus(status),
          onFrame: (frame) => {
            if (!own.has(Buffer.from(frame).toString('hex'))) listener.onFrame(frame)
          },
        }),
      publish: (frame) => {
        own.add(Buffer.from(frame).toString('hex'))
        return inner.publish(frame)
      },
    }
  }),
  only: ['delivery'],
  deliveryTimeout: 500,
})

describeTransportConformance({
  name: 'mutant T7: frames take random detours',
  create: mutant((inner) => ({
    connect: (channel, listener: TransportListener) =>
      inner.connect(channel, {
        onStatus: (status) => listener.onStatus(status),
        onFrame: (frame) => setTimeout(() => listener.onFrame(frame), Math.random() * 3),
      }),
  })),
  only: ['order'],
  deliveryTimeout: 1_000,
})

describeTransportConformance({
  name: 'mutant T9: publish waits forever while cut',
  create: () => {
    const inner = new ReferenceTransport(bus)
    let cut = false
    const transport = {
      specificationVersion: 'v1' as const,
      kind: 'mutant',
      inner,
      connect: (channel: string, listener: TransportListener) => inner.connect(channel, listener),
      publish: (frame: Uint8Array) => (cut ? new Promise<void>(() => {}) : inner.publish(frame)),
      close: () => inner.close(),
      setCut: (value: boolean) => {
        cut = value
      },
    }
    return { transport }
  },
  faults: {
    cut: (transport) => {
      ;(transport as unknown as { setCut(value: boolean): void }).setCut(true)
      faults.cut(transport)
    },
    restore: (transport) => {
      ;(transport as unknown as { setCut(value: boolean): void }).setCut(false)
      faults.restore(transport)
    },
  },
  only: ['faults'],
})

describeTransportConformance({
  name: 'mutant T11: close leaves a timer running',
  create: mutant((inner) => ({
    connect: (channel, listener) => {
      setInterval(() => {}, 60_000)
      return inner.connect(channel, listener)
    },
  })),
  only: ['close'],
})
