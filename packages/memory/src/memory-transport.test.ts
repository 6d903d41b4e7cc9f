import { CacheplaneError } from '@cacheplane/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { eventually, numbered, numberOf, recorder } from '../test/recorder.js'
import { createMemoryBus } from './memory-bus.js'
import {
  type MemoryTransport,
  type MemoryTransportOptions,
  memoryTransport,
} from './memory-transport.js'

const channel = 'cacheplane:products:v1'
const open: MemoryTransport[] = []

/** A transport on `bus`, closed after the test. */
function transport(options: MemoryTransportOptions): MemoryTransport {
  const created = memoryTransport(options)
  open.push(created)
  return created
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((created) => created.close()))
  vi.useRealTimers()
})

async function rejection(promise: Promise<unknown>): Promise<CacheplaneError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(CacheplaneError.isInstance(error)).toBe(true)
  return error as CacheplaneError
}

describe('memoryTransport: delivery', () => {
  it('delivers every frame to every subscriber of the channel, the publisher included', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const b = transport({ bus })
    const other = transport({ bus })
    const [heardByA, heardByB, heardByOther] = [recorder(), recorder(), recorder()]
    await a.connect(channel, heardByA.listener)
    await b.connect(channel, heardByB.listener)
    await other.connect('cacheplane:users:v1', heardByOther.listener)
    expect(heardByA.statuses).toEqual([{ state: 'up' }])
    expect(a.state).toBe('up')
    await a.publish(numbered(1))
    await b.publish(numbered(2))
    await eventually(() => {
      expect(heardByA.numbers()).toEqual([1, 2])
      expect(heardByB.numbers()).toEqual([1, 2])
    })
    expect(heardByOther.frames).toEqual([])
    expect(bus.stats()).toEqual({
      framesPublished: 2,
      framesDelivered: 4,
      framesDropped: 0,
      framesDuplicated: 0,
    })
    expect(bus.subscriberCount(channel)).toBe(2)
  })

  it('never delivers inside publish, nor before the publish promise settles', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const heard = recorder()
    await a.connect(channel, heard.listener)
    const publishing = a.publish(numbered(1))
    expect(heard.frames).toHaveLength(0)
    await publishing
    expect(heard.frames).toHaveLength(0)
    await eventually(() => expect(heard.frames).toHaveLength(1))
  })

  it('gives each receiver its own copy of the bytes', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const b = transport({ bus })
    const [heardByA, heardByB] = [recorder(), recorder()]
    await a.connect(channel, heardByA.listener)
    await b.connect(channel, heardByB.listener)
    const frame = Uint8Array.of(1, 2, 3)
    await a.publish(frame)
    frame[0] = 99
    await eventually(() => expect(heardByB.frames).toHaveLength(1))
    await eventually(() => expect(heardByA.frames).toHaveLength(1))
    const [copyA, copyB] = [heardByA.frames[0]!, heardByB.frames[0]!]
    expect([...copyA]).toEqual([1, 2, 3])
    copyA[1] = 77
    expect([...copyB]).toEqual([1, 2, 3])
    expect(copyA.buffer).not.toBe(frame.buffer)
  })

  it('copies a Buffer too, whose slice() would share memory', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const heard = recorder()
    await a.connect(channel, heard.listener)
    const frame = Buffer.from([5, 6, 7])
    await a.publish(frame)
    frame.fill(0)
    await eventually(() => expect(heard.frames).toHaveLength(1))
    expect([...heard.frames[0]!]).toEqual([5, 6, 7])
  })

  it('keeps each publisher’s order', async () => {
    const bus = createMemoryBus()
    const [a, b, receiver] = [transport({ bus }), transport({ bus }), transport({ bus })]
    const heard = recorder()
    await a.connect(channel, recorder().listener)
    await b.connect(channel, recorder().listener)
    await receiver.connect(channel, heard.listener)
    const published: Promise<void>[] = []
    for (let number = 0; number < 500; number++) {
      published.push(a.publish(numbered(number)), b.publish(numbered(10_000 + number)))
    }
    await Promise.all(published)
    await eventually(() => expect(heard.frames).toHaveLength(1_000))
    const numbers = heard.frames.map(numberOf)
    const fromA = numbers.filter((number) => number < 10_000)
    const fromB = numbers.filter((number) => number >= 10_000)
    expect(fromA).toEqual([...fromA].sort((x, y) => x - y))
    expect(fromB).toEqual([...fromB].sort((x, y) => x - y))
  })

  it('does not let a listener that publishes from onFrame starve the event loop', async () => {
    const bus = createMemoryBus()
    const echo = transport({ bus })
    let heard = 0
    await echo.connect(channel, {
      onFrame: (frame) => {
        heard++
        void echo.publish(frame)
      },
      onStatus: () => {},
    })
    await echo.publish(numbered(1))
    // Timers still fire while the frame goes round and round.
    await eventually(() => expect(heard).toBeGreaterThan(10))
  })

  it('surfaces a listener that throws without stalling later frames', async () => {
    const surfaced: (() => void)[] = []
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      surfaced.push(callback)
    })
    try {
      const bus = createMemoryBus()
      const a = transport({ bus })
      const heard: number[] = []
      await a.connect(channel, {
        onFrame: (frame) => {
          if (frame[0] === 1) throw new Error('listener bug')
          heard.push(frame[0]!)
        },
        onStatus: () => {},
      })
      await a.publish(numbered(1))
      await a.publish(numbered(2))
      await eventually(() => expect(heard).toEqual([2]))
      expect(surfaced).toHaveLength(1)
      expect(() => surfaced[0]!()).toThrow('listener bug')
    } finally {
      vi.restoreAllMocks()
    }
  })
})

describe('memoryTransport: lifecycle', () => {
  it('rejects a second connect and a publish before connect', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    const early = await rejection(a.publish(numbered(1)))
    expect(early.code).toBe('E_BACKPLANE_PUBLISH')
    await a.connect(channel, recorder().listener)
    const twice = await rejection(a.connect(channel, recorder().listener))
    expect(twice.code).toBe('E_BACKPLANE_TRANSPORT')
    expect(twice.message).toMatch(/connect is called once/)
  })

  it('checks its arguments', async () => {
    const bus = createMemoryBus()
    const a = transport({ bus })
    expect((await rejection(a.connect('', recorder().listener))).code).toBe('E_INVALID_OPTION')
    const noListener = await rejection(a.connect(channel, {} as never))
    expect(noListener.message).toMatch(/"listener"/)
    await a.connect(channel, recorder().listener)
    const notBytes = await rejection(a.publish('hello' as never))
    expect(notBytes.code).toBe('E_INVALID_VALUE')
  })

  it('validates its options', () => {
    const bus = createMemoryBus()
    expect(() => memoryTransport({} as never)).toThrow(
      /Invalid option "bus": got undefined, expected a bus from createMemoryBus\(\)/,
    )
    expect(() => memoryTransport({ bus: {} } as never)).toThrow(/"bus"/)
    expect(() => memoryTransport({ bus, channel: 'x' } as never)).toThrow(
      /Unknown option "channel"/,
    )
    expect(() => memoryTransport({ bus, chaos: { dropRate: 2 } })).toThrow(/"chaos\.dropRate"/)
    expect(memoryTransport({ bus, chaos: { seed: 5 } }).chaosSeed).toBe(5)
    expect(memoryTransport({ bus }).chaosSeed).toBeUndefined()
  })

  it('closes: leaves the bus, refuses publish and connect, drops what was on its way', async () => {
    const bus = createMemoryBus()
    const [a, b] = [transport({ bus }), transport({ bus })]
    const heardByB = recorder()
    await a.connect(channel, recorder().listener)
    await b.connect(channel, heardByB.listener)
    await a.publish(numbered(1))
    await b.close()
    await b.close()
    expect(b.state).toBe('closed')
    expect(bus.subscriberCount(channel)).toBe(1)
    expect((await rejection(b.publish(numbered(2)))).message).toMatch(/closed/)
    expect((await rejection(b.connect(channel, recorder().listener))).code).toBe('E_CLOSED')
    await eventually(() => expect(bus.stats().framesDelivered).toBe(1))
    expect(heardByB.frames).toEqual([])
    expect(bus.stats().framesDropped).toBe(1)
    expect(heardByB.statuses).toEqual([{ state: 'up' }])
  })

  it('releases every timer on close', async () => {
    vi.useFakeTimers()
    const bus = createMemoryBus()
    const slow = memoryTransport({
      bus,
      chaos: { delay: { min: 50, max: 500 }, reorderRate: 0.3, seed: 3 },
    })
    const fast = memoryTransport({ bus })
    await slow.connect(channel, recorder().listener)
    await fast.connect(channel, recorder().listener)
    for (let number = 0; number < 20; number++) await fast.publish(numbered(number))
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    await slow.close()
    await fast.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})
