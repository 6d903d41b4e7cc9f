import { createCache } from '@cacheplane/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryBus, memoryHandle, memoryTransport } from '../src/index.js'
import { eventually } from './recorder.js'

const caches: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()))
})

/** Two instances of one cache: own L1s, one shared in-process L2, one bus. */
function fleet() {
  const bus = createMemoryBus()
  const l2 = memoryHandle({ backplaneSource: true })
  const transports = [memoryTransport({ bus }), memoryTransport({ bus })]
  const [a, b] = transports.map((backplane) =>
    createCache<string>({
      name: 'products',
      handles: [memoryHandle(), l2],
      backplane,
      backplaneOptions: { heartbeatInterval: 50 },
    }),
  )
  caches.push(a!, b!)
  return { bus, l2, a: a!, b: b!, transports }
}

describe('memory handle and transport under createCache', () => {
  it('a write on one instance evicts the old value from the other one’s L1', async () => {
    const { a, b } = fleet()
    await a.set('p:1', 'old')
    expect(await b.get('p:1')).toBe('old')
    expect(b.peek('p:1')).toBe('old')
    await a.set('p:1', 'new')
    await eventually(() => expect(b.peek('p:1')).toBeUndefined())
    expect(await b.get('p:1')).toBe('new')
  })

  it('region clears and deletes reach the other instance', async () => {
    const { a, b } = fleet()
    await a.set('k', 'in region', { region: 'catalog' })
    await a.set('k', 'no region')
    expect(await b.get('k', { region: 'catalog' })).toBe('in region')
    expect(await b.get('k')).toBe('no region')
    await a.clearRegion('catalog')
    await eventually(() => expect(b.peek('k', { region: 'catalog' })).toBeUndefined())
    expect(b.peek('k')).toBe('no region')
    await a.delete('k')
    await eventually(() => expect(b.peek('k')).toBeUndefined())
  })

  it('one shared L2 survives the first cache closing', async () => {
    const { a, b } = fleet()
    await a.set('k', 'v')
    await a.close()
    expect(await b.get('k')).toBe('v')
  })
})
