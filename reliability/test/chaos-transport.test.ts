// The chaos wrapper does to frames exactly what its rates say.
import type { BackplaneTransport, TransportListener } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { chaosTransport } from '../src/chaos-transport.mjs'

/** A transport whose frames the test hands in. */
function fakeTransport() {
  let listener: TransportListener | undefined
  const inner: BackplaneTransport = {
    specificationVersion: 'v1',
    kind: 'fake',
    connect: async (_channel, given) => {
      listener = given
    },
    publish: async () => {},
    close: async () => {},
  }
  return { inner, deliver: (byte: number) => listener?.onFrame(Uint8Array.of(byte)) }
}

async function received(rates: Record<string, number>, frames: number) {
  const { inner, deliver } = fakeTransport()
  const chaos = chaosTransport(inner, { seed: 7 })
  chaos.setRates(rates)
  const seen: number[] = []
  await chaos.connect('channel', {
    onFrame: (frame: Uint8Array) => seen.push(frame[0]!),
    onStatus: () => {},
  })
  for (let index = 0; index < frames; index++) deliver(index)
  // Duplicates come on the next turn, held frames within 50 ms.
  await new Promise((resolve) => setTimeout(resolve, 80))
  await chaos.close()
  return { seen, counters: chaos.counters }
}

describe('chaosTransport', () => {
  it('passes every frame through, in order, at rate 0', async () => {
    const { seen } = await received({}, 100)
    expect(seen).toEqual(Array.from({ length: 100 }, (_, index) => index))
  })

  it('drops, duplicates and reorders at the given rates', async () => {
    expect((await received({ dropRate: 1 }, 50)).seen).toEqual([])
    const duplicated = await received({ duplicateRate: 1 }, 10)
    expect(duplicated.seen.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, index) => [index, index]).flat(),
    )
    const reordered = await received({ reorderRate: 0.5 }, 200)
    expect(reordered.counters.reordered).toBeGreaterThan(50)
    expect(reordered.seen.slice().sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, index) => index),
    )
    expect(reordered.seen).not.toEqual(Array.from({ length: 200 }, (_, index) => index))
  })

  it('is repeatable for a seed', async () => {
    const rates = { dropRate: 0.2, duplicateRate: 0.2, reorderRate: 0.2 }
    expect((await received(rates, 300)).seen).toEqual((await received(rates, 300)).seen)
  })
})
