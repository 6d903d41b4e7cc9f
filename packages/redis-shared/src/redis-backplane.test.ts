import { CacheplaneError, type TransportStatus } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { resolveRedisBackplaneOptions } from './backplane-options.js'
import {
  type BackplaneDriver,
  createRedisBackplane,
  MAX_PENDING_PUBLISHES,
  type SubscriptionListener,
} from './redis-backplane.js'

/**
 * A driver whose Redis side the test plays by hand: it records publishes and
 * lets the test acknowledge, lose and feed the subscription. The Redis
 * behaviour itself is tested over real servers in each adapter's package.
 */
class ScriptedDriver implements BackplaneDriver {
  listener: SubscriptionListener | undefined
  blocker: string | undefined
  closed = 0
  readonly published: { channel: string; payload: Buffer; timeout: number }[] = []
  answer: () => Promise<unknown> = () => Promise.resolve(1)

  publishBlocker(): string | undefined {
    return this.blocker
  }

  publish(channel: string, payload: Buffer, timeout: number): Promise<unknown> {
    this.published.push({ channel, payload, timeout })
    return this.answer()
  }

  subscribe(_channel: string, listener: SubscriptionListener) {
    this.listener = listener
    return {
      close: async () => {
        this.closed++
      },
    }
  }
}

function recorder() {
  const frames: Uint8Array[] = []
  const statuses: TransportStatus[] = []
  return {
    frames,
    statuses,
    listener: {
      onFrame: (frame: Uint8Array) => frames.push(frame),
      onStatus: (status: TransportStatus) => statuses.push(status),
    },
  }
}

const options = (overrides: Parameters<typeof resolveRedisBackplaneOptions>[0] = {}) =>
  resolveRedisBackplaneOptions(overrides, { isCluster: false })

async function rejection(promise: Promise<unknown>): Promise<CacheplaneError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!CacheplaneError.isInstance(error)) throw new Error(`expected a CacheplaneError: ${error}`)
  return error
}

describe('createRedisBackplane', () => {
  it('resolves connect on the first acknowledgement and reports every status change', async () => {
    const driver = new ScriptedDriver()
    const transport = createRedisBackplane(driver, options())
    const { statuses, listener } = recorder()
    const connected = transport.connect('channel', listener)
    driver.listener?.onUp()
    await connected
    driver.listener?.onDown('lost', undefined)
    driver.listener?.onUp()
    expect(statuses.map((status) => status.state)).toEqual(['up', 'down', 'up'])
    await transport.close()
    expect(driver.closed).toBe(1)
  })

  it('rejects connect after subscribeTimeout, and twice, after close or without a channel', async () => {
    const driver = new ScriptedDriver()
    const transport = createRedisBackplane(driver, options({ subscribeTimeout: 20 }))
    const { statuses, listener } = recorder()
    expect((await rejection(transport.connect('', listener))).code).toBe('E_BACKPLANE_TRANSPORT')
    expect((await rejection(transport.connect('channel', listener))).message).toMatch(
      /within 20ms; still trying/,
    )
    // It goes on trying: a later acknowledgement reports up.
    driver.listener?.onUp()
    expect(statuses).toEqual([{ state: 'up' }])
    expect((await rejection(transport.connect('channel', listener))).message).toMatch(/twice/)
    await transport.close()
    expect((await rejection(transport.connect('channel', listener))).message).toMatch(/after close/)
  })

  it('rejects a pending connect on close and reports nothing afterwards', async () => {
    const driver = new ScriptedDriver()
    const transport = createRedisBackplane(driver, options())
    const { frames, statuses, listener } = recorder()
    const connected = transport.connect('channel', listener)
    await transport.close()
    expect((await rejection(connected)).message).toMatch(/closed before it subscribed/)
    driver.listener?.onUp()
    driver.listener?.onFrame(new Uint8Array([1]))
    expect([frames, statuses]).toEqual([[], []])
  })

  it('keeps delivering when the listener throws', async () => {
    const driver = new ScriptedDriver()
    const transport = createRedisBackplane(driver, options())
    const seen: number[] = []
    const connected = transport.connect('channel', {
      onFrame: (frame) => {
        seen.push(frame[0]!)
        throw new Error('listener bug')
      },
      onStatus: () => {},
    })
    driver.listener?.onUp()
    await connected
    driver.listener?.onFrame(new Uint8Array([1]))
    driver.listener?.onFrame(new Uint8Array([2]))
    expect(seen).toEqual([1, 2])
    await transport.close()
  })

  it('publishes Buffers to the channel and fails fast: not connected, blocked, closed', async () => {
    const driver = new ScriptedDriver()
    const transport = createRedisBackplane(driver, options({ publishTimeout: '2s' }))
    expect((await rejection(transport.publish(new Uint8Array([1])))).message).toMatch(
      /not connected yet/,
    )
    const connected = transport.connect('channel', recorder().listener)
    driver.listener?.onUp()
    await connected
    const bytes = new Uint8Array([9, 8, 7, 6]).subarray(1, 3)
    await transport.publish(bytes)
    expect(driver.published).toEqual([
      { channel: 'channel', payload: Buffer.from([8, 7]), timeout: 2_000 },
    ])
    driver.blocker = 'the Redis client is reconnecting'
    const blocked = await rejection(transport.publish(bytes))
    expect(blocked.code).toBe('E_BACKPLANE_PUBLISH')
    expect(blocked.message).toContain('reconnecting')
    expect(driver.published).toHaveLength(1)
    driver.blocker = undefined
    await transport.close()
    expect((await rejection(transport.publish(bytes))).message).toMatch(/closed/)
  })

  it('rejects after publishTimeout and lets at most MAX_PENDING_PUBLISHES wait', async () => {
    const driver = new ScriptedDriver()
    const transport = createRedisBackplane(driver, options({ publishTimeout: 30 }))
    const connected = transport.connect('channel', recorder().listener)
    driver.listener?.onUp()
    await connected
    driver.answer = () => new Promise(() => {})
    const waiting = Array.from({ length: MAX_PENDING_PUBLISHES }, () =>
      rejection(transport.publish(new Uint8Array([1]))),
    )
    const refused = await rejection(transport.publish(new Uint8Array([2])))
    expect(refused.message).toMatch(/already waiting/)
    const timedOut = await Promise.all(waiting)
    expect(timedOut.every((error) => /no answer within 30ms/.test(error.message))).toBe(true)
    // The slots are free again.
    driver.answer = () => Promise.resolve(1)
    await transport.publish(new Uint8Array([3]))
    driver.answer = () => Promise.reject(new Error('READONLY'))
    const failed = await rejection(transport.publish(new Uint8Array([4])))
    expect(failed.message).toContain('READONLY')
    expect(failed.cause).toBeInstanceOf(Error)
    await transport.close()
  })
})

describe('resolveRedisBackplaneOptions', () => {
  it('defaults to sharded on a Cluster and pubsub elsewhere, and validates', () => {
    expect(resolveRedisBackplaneOptions({}, { isCluster: true })).toEqual({
      mode: 'sharded',
      publishTimeout: 1_000,
      subscribeTimeout: 5_000,
    })
    expect(options({ mode: 'sharded', publishTimeout: '250ms' })).toEqual({
      mode: 'sharded',
      publishTimeout: 250,
      subscribeTimeout: 5_000,
    })
    for (const [given, option] of [
      [{ mode: 'fanout' }, '"mode"'],
      [{ publishTimeout: 0 }, '"publishTimeout"'],
      [{ subscribeTimeout: 'later' }, '"subscribeTimeout"'],
    ] as const) {
      expect(() => options(given as never)).toThrow(option)
    }
  })
})
