import { setTimeout as delay } from 'node:timers/promises'
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import {
  type BackplaneTransport,
  CacheplaneError,
  type TransportListener,
  type TransportStatus,
} from '@cacheplane/core'
import { MAX_PENDING_PUBLISHES } from '@cacheplane/redis-shared'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type BackplaneMode, redisBackplane } from '../src/index.js'
import { type Client, connect, disconnect, uniqueCacheName } from './support.js'

let server: RedisTestServer
let client: Client
let admin: Client
const opened: BackplaneTransport[] = []

beforeAll(async () => {
  // A process of our own, even when REDIS_URL is set: these tests kill, pause and restart it.
  server = await startRedis({ strategy: 'process' })
  client = await connect(server)
  admin = await connect(server)
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((transport) => transport.close()))
})

afterAll(async () => {
  disconnect(client)
  disconnect(admin)
  await server?.stop()
})

/** A listener that keeps what it is told. */
class Recorder implements TransportListener {
  readonly frames: Buffer[] = []
  readonly statuses: TransportStatus[] = []

  onFrame(frame: Uint8Array): void {
    this.frames.push(Buffer.from(frame))
  }

  onStatus(status: TransportStatus): void {
    this.statuses.push(status)
  }

  states(): string {
    return this.statuses.map((status) => status.state).join(',')
  }

  waitForFrames(count: number): Promise<Buffer[]> {
    return pollUntil(() => this.frames.length >= count && this.frames, {
      timeout: 5_000,
      description: `${count} frames`,
    })
  }

  waitForStates(states: string, timeout = 10_000): Promise<string> {
    return pollUntil(() => this.states() === states && states, {
      timeout,
      description: `statuses ${states} (got ${this.states()})`,
    })
  }
}

async function connected(
  options: { mode?: BackplaneMode; client?: Client; publishTimeout?: number } = {},
  channel = uniqueCacheName('channel'),
): Promise<{ transport: BackplaneTransport; recorder: Recorder; channel: string }> {
  const transport = redisBackplane({ client, ...options })
  opened.push(transport)
  const recorder = new Recorder()
  await transport.connect(channel, recorder)
  return { transport, recorder, channel }
}

/** Publishes until the recorder has a frame again: delivery after an outage, without a fixed wait. */
async function publishUntilDelivered(transport: BackplaneTransport, recorder: Recorder) {
  const before = recorder.frames.length
  await pollUntil(
    async () => {
      await transport.publish(Buffer.from('probe')).catch(() => {})
      return recorder.frames.length > before
    },
    { timeout: 10_000, interval: 50, description: 'a frame after the outage' },
  )
}

describe.each(['pubsub', 'sharded'] as const)('redisBackplane (%s)', (mode) => {
  it('reports up on connect and delivers byte-exact frames to every subscriber, itself included', async () => {
    const first = await connected({ mode })
    const second = await connected({ mode }, first.channel)
    const other = await connected({ mode })
    expect(first.recorder.states()).toBe('up')
    const frame = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte))
    await first.transport.publish(frame)
    await first.transport.publish(new Uint8Array([0]))
    expect(await first.recorder.waitForFrames(2)).toEqual([frame, Buffer.from([0])])
    expect(await second.recorder.waitForFrames(2)).toEqual([frame, Buffer.from([0])])
    await other.transport.publish(Buffer.from('elsewhere'))
    await other.recorder.waitForFrames(1)
    expect(first.recorder.frames).toHaveLength(2)
  })

  it('reports down when its connection is killed, and up only once subscribed again', async () => {
    const { transport, recorder } = await connected({ mode })
    expect(await server.killClients('pubsub')).toBeGreaterThanOrEqual(1)
    await recorder.waitForStates('up,down,up')
    const down = recorder.statuses[1] as Extract<TransportStatus, { state: 'down' }>
    expect(down.reason).toMatch(/closed/)
    // "up" came after Redis acknowledged the subscription: a publish now arrives.
    await transport.publish(Buffer.from('after'))
    expect((await recorder.waitForFrames(1)).map(String)).toEqual(['after'])
  })
})

describe('redisBackplane: faults', () => {
  it('goes down with the server, fails publishes at once meanwhile, and comes back after a restart', async () => {
    const { transport, recorder } = await connected()
    await server.kill()
    try {
      await recorder.waitForStates('up,down')
      await pollUntil(() => !client.isReady, { timeout: 5_000, description: 'client down' })
      const started = performance.now()
      const error = await transport.publish(Buffer.from('lost')).catch((caught: unknown) => caught)
      expect(performance.now() - started).toBeLessThan(50)
      expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_PUBLISH')).toBe(true)
      expect((error as Error).message).toMatch(/reconnecting/)
    } finally {
      await server.restart()
    }
    await recorder.waitForStates('up,down,up')
    await pollUntil(() => client.isReady, { timeout: 5_000, description: 'client up' })
    await publishUntilDelivered(transport, recorder)
  })

  it('rejects a publish that Redis does not answer within publishTimeout, and at most 1000 wait', async () => {
    const { transport } = await connected({ publishTimeout: 300 })
    await server.pause()
    try {
      const started = performance.now()
      const waiting = Array.from({ length: MAX_PENDING_PUBLISHES }, () =>
        transport.publish(Buffer.from('x')).catch((caught: unknown) => caught),
      )
      const refused = await transport.publish(Buffer.from('y')).catch((caught: unknown) => caught)
      expect(CacheplaneError.hasCode(refused, 'E_BACKPLANE_PUBLISH')).toBe(true)
      expect((refused as Error).message).toContain('already waiting')
      expect(performance.now() - started).toBeLessThan(250)
      const errors = await Promise.all(waiting)
      expect(errors.every((error) => CacheplaneError.hasCode(error, 'E_BACKPLANE_PUBLISH'))).toBe(
        true,
      )
      expect(performance.now() - started).toBeGreaterThanOrEqual(290)
      expect(performance.now() - started).toBeLessThan(1_500)
    } finally {
      await server.resume()
    }
  })

  it('rejects connect when it cannot subscribe in time, then reports up when it can', async () => {
    await server.kill()
    const transport = redisBackplane({ client, subscribeTimeout: 200 })
    opened.push(transport)
    const recorder = new Recorder()
    try {
      const error = await transport
        .connect(uniqueCacheName('channel'), recorder)
        .catch((caught: unknown) => caught)
      expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_TRANSPORT')).toBe(true)
    } finally {
      await server.restart()
    }
    await recorder.waitForStates('up')
  })

  it('abandons a subscription attempt on a paused server after subscribeTimeout and retries', async () => {
    const { recorder } = await connected()
    const transport = redisBackplane({ client, subscribeTimeout: 200 })
    opened.push(transport)
    const late = new Recorder()
    await server.pause()
    let error: unknown
    try {
      error = await transport
        .connect(uniqueCacheName('channel'), late)
        .catch((caught: unknown) => caught)
    } finally {
      await server.resume()
    }
    expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_TRANSPORT')).toBe(true)
    await late.waitForStates('up')
    expect(recorder.states()).toBe('up')
  })
})

describe('redisBackplane: clients and close', () => {
  it('works over a RESP2 client', async () => {
    const resp2 = await connect(server, { RESP: 2 })
    try {
      const { transport, recorder } = await connected({ client: resp2 })
      await transport.publish(Buffer.from([0, 1, 255]))
      expect(await recorder.waitForFrames(1)).toEqual([Buffer.from([0, 1, 255])])
    } finally {
      await Promise.all(opened.splice(0).map((transport) => transport.close()))
      disconnect(resp2)
    }
  })

  it("keeps its subscriber out of the client's socketTimeout: silence is normal there", async () => {
    const impatient = await connect(server, {
      socket: { socketTimeout: 100, reconnectStrategy: () => 20 },
    })
    try {
      const { transport, recorder } = await connected({ client: impatient })
      // Idle for several socket timeouts: the subscription must not drop.
      await delay(400)
      expect(recorder.states()).toBe('up')
      await pollUntil(
        async () => {
          await transport.publish(Buffer.from('still here')).catch(() => {})
          return recorder.frames.length > 0
        },
        { timeout: 5_000, interval: 50, description: 'a frame after the idle time' },
      )
      expect(recorder.states()).toBe('up')
    } finally {
      await Promise.all(opened.splice(0).map((transport) => transport.close()))
      disconnect(impatient)
    }
  })

  it('rejects publishes at once while the client is not connected', async () => {
    const closed = await connect(server)
    const { transport } = await connected({ client: closed })
    closed.destroy()
    const error = await transport.publish(Buffer.from('x')).catch((caught: unknown) => caught)
    expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_PUBLISH')).toBe(true)
    expect((error as Error).message).toMatch(/not connected/)
  })

  it('close unsubscribes, closes its connection and leaves the client open and untouched', async () => {
    const clients = async () =>
      Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))?.[1])
    const clientsBefore = await clients()
    const listenersBefore = client.eventNames().map((name) => client.listenerCount(name))
    const transport = redisBackplane({ client })
    const recorder = new Recorder()
    const channel = uniqueCacheName('channel')
    await transport.connect(channel, recorder)
    expect(await admin.pubSubNumSub(channel)).toEqual({ [channel]: 1 })
    await transport.close()
    expect(await admin.pubSubNumSub(channel)).toEqual({ [channel]: 0 })
    await pollUntil(async () => (await clients()) === clientsBefore, {
      timeout: 2_000,
      description: 'the subscriber connection to go',
    })
    expect(client.eventNames().map((name) => client.listenerCount(name))).toEqual(listenersBefore)
    expect(client.isReady).toBe(true)
    const error = await transport.publish(Buffer.from('x')).catch((caught: unknown) => caught)
    expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_PUBLISH')).toBe(true)
    await admin.publish(channel, 'after close')
    expect(recorder.frames).toEqual([])
    await transport.close()
  })

  it('validates its options', () => {
    const invalid = (options: unknown, fragment: string) => {
      let caught: unknown
      try {
        redisBackplane(options as never)
      } catch (error) {
        caught = error
      }
      expect(CacheplaneError.hasCode(caught, 'E_INVALID_OPTION')).toBe(true)
      expect((caught as Error).message).toContain(fragment)
    }
    invalid(null, '"options"')
    invalid({}, '"client"')
    invalid({ client: { sendCommand() {} } }, '"client"')
    invalid({ client, mode: 'broadcast' }, '"mode"')
    invalid({ client, publishTimeout: 0 }, '"publishTimeout"')
    invalid({ client, subscribeTimeout: 'soon' }, '"subscribeTimeout"')
    invalid({ client, channel: 'x' }, '"channel"')
    expect(redisBackplane({ client }).kind).toBe('redis')
  })
})
