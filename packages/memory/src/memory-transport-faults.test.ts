import { CacheplaneError } from '@cacheplane/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { eventually, numbered, recorder } from '../test/recorder.js'
import { createMemoryBus } from './memory-bus.js'
import {
  type MemoryTransport,
  type MemoryTransportOptions,
  memoryTransport,
} from './memory-transport.js'

const channel = 'cacheplane:products:v1'
const open: MemoryTransport[] = []

function transport(options: MemoryTransportOptions): MemoryTransport {
  const created = memoryTransport(options)
  open.push(created)
  return created
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((created) => created.close()))
  vi.useRealTimers()
})

async function publishError(target: MemoryTransport): Promise<unknown> {
  return target.publish(numbered(0)).then(
    () => undefined,
    (error: unknown) => error,
  )
}

/** Two connected transports and what each hears. */
async function pair() {
  const bus = createMemoryBus()
  const [a, b] = [transport({ bus }), transport({ bus })]
  const [heardByA, heardByB] = [recorder(), recorder()]
  await a.connect(channel, heardByA.listener)
  await b.connect(channel, heardByB.listener)
  return { bus, a, b, heardByA, heardByB }
}

describe('memoryTransport: disconnect and reconnect', () => {
  it('reports down with the reason, loses frames meanwhile, and refuses to publish', async () => {
    const { bus, a, b, heardByA, heardByB } = await pair()
    b.disconnect('redis restarted')
    expect(b.state).toBe('down')
    expect(heardByB.statuses).toEqual([
      { state: 'up' },
      { state: 'down', reason: 'redis restarted' },
    ])
    const error = await publishError(b)
    expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_PUBLISH')).toBe(true)
    expect((error as Error).message).toMatch(/down \(redis restarted\)/)
    await a.publish(numbered(1))
    await eventually(() => expect(heardByA.numbers()).toEqual([1]))
    b.disconnect('again')
    expect(heardByB.statuses).toHaveLength(2)
    b.reconnect()
    expect(heardByB.statuses.at(-1)).toEqual({ state: 'up' })
    await a.publish(numbered(2))
    await eventually(() => expect(heardByB.numbers()).toEqual([2]))
    expect(bus.stats().framesDropped).toBe(1)
  })

  it('loses the frames that were on their way when it went down', async () => {
    const { bus, a, b, heardByB } = await pair()
    await a.publish(numbered(1))
    b.disconnect()
    b.reconnect()
    await a.publish(numbered(2))
    await eventually(() => expect(heardByB.numbers()).toEqual([2]))
    expect(bus.stats().framesDropped).toBe(1)
    expect(heardByB.statuses.map((status) => status.state)).toEqual(['up', 'down', 'up'])
  })

  it('fails connect while down before connecting, and connects after reconnect', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const heard = recorder()
    a.disconnect('no route to redis')
    const error = await a.connect(channel, heard.listener).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_TRANSPORT')).toBe(true)
    expect((error as Error).message).toMatch(/no route to redis/)
    expect(bus.subscriberCount(channel)).toBe(0)
    // The cache calls connect again after a rejection.
    a.reconnect()
    expect(a.state).toBe('idle')
    await a.connect(channel, heard.listener)
    expect(heard.statuses).toEqual([{ state: 'up' }])
  })

  it('fails a connect that is faulted while it subscribes', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const connecting = a.connect(channel, recorder().listener)
    expect(a.state).toBe('connecting')
    a.disconnect('dropped during subscribe')
    await expect(connecting).rejects.toThrow(/dropped during subscribe/)
    const b = transport({ bus })
    const closing = b.connect(channel, recorder().listener)
    await b.close()
    await expect(closing).rejects.toThrow(/closed while connecting/)
  })
})

describe('memoryTransport: silence', () => {
  it('stops receiving without a word, while publishing goes on', async () => {
    const { bus, a, b, heardByA, heardByB } = await pair()
    b.silence()
    expect(b.silenced).toBe(true)
    expect(b.state).toBe('up')
    await b.publish(numbered(1))
    await a.publish(numbered(2))
    await eventually(() => expect(heardByA.numbers()).toEqual([1, 2]))
    expect(heardByB.frames).toEqual([])
    expect(heardByB.statuses).toEqual([{ state: 'up' }])
    b.unsilence()
    await b.publish(numbered(3))
    await eventually(() => expect(heardByB.numbers()).toEqual([3]))
    expect(bus.stats().framesDropped).toBe(2)
  })

  it('is undone by reconnect, as a fresh subscription would', async () => {
    const { a, b, heardByB } = await pair()
    b.silence()
    b.reconnect()
    expect(b.silenced).toBe(false)
    await a.publish(numbered(4))
    await eventually(() => expect(heardByB.numbers()).toEqual([4]))
    expect(heardByB.statuses).toEqual([{ state: 'up' }])
  })

  it('drops frames already on their way', async () => {
    const { a, b, heardByB } = await pair()
    await a.publish(numbered(1))
    b.silence()
    b.unsilence()
    await a.publish(numbered(2))
    await eventually(() => expect(heardByB.numbers()).toEqual([2]))
  })
})
