import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CacheplaneError } from '@cacheplane/core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { pollUntil } from '../src/poll.js'
import { startRedis, startRedisCluster } from '../src/redis.js'
import { liveProcessCount, processExists } from '../src/servers/live-processes.js'
import { RespConnection, replyText } from '../src/servers/resp.js'

// These tests need the process strategy's fault controls; a REDIS_URL server cannot be killed.
const local = { strategy: 'process' } as const

async function processGone(pid: number): Promise<void> {
  await pollUntil(() => !processExists(pid), { timeout: 2_000, description: `pid ${pid} to exit` })
}

afterAll(() => {
  expect(liveProcessCount(), 'every test stops what it started').toBe(0)
})

describe('startRedis', () => {
  afterEach(() => {
    expect(liveProcessCount(), 'every test stops what it started').toBe(0)
  })

  it('starts a server on loopback that answers, and stop() leaves no process or dir behind', async () => {
    const server = await startRedis(local)
    expect(server.strategy).toBe('process')
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`)
    expect(await server.command(['PING'])).toBe('PONG')
    const pid = server.pid
    expect(pid).toBeTypeOf('number')
    const directory = replyText(
      ((await server.command(['CONFIG', 'GET', 'dir'])) as Buffer[])[1] ?? Buffer.alloc(0),
    )
    expect(existsSync(directory)).toBe(true)
    await server.stop()
    await server.stop() // idempotent
    await processGone(pid!)
    expect(existsSync(directory)).toBe(false)
  })

  it('kill() then restart() brings a fresh server back on the same port', async () => {
    const server = await startRedis(local)
    try {
      const port = server.port
      const firstPid = server.pid
      await server.command(['SET', 'k', 'v'])
      const connection = await RespConnection.open(server)
      await server.kill()
      await expect(connection.command(['PING'], 500)).rejects.toThrow()
      await processGone(firstPid!)
      await server.restart()
      expect(server.port).toBe(port)
      expect(server.pid).not.toBe(firstPid)
      expect(await server.command(['PING'])).toBe('PONG')
      expect(await server.command(['GET', 'k'])).toBeNull()
      await server.restart() // restarting a running server works too
      expect(await server.command(['PING'])).toBe('PONG')
    } finally {
      await server.stop()
    }
  })

  it('pause() makes PING time out on an open connection; resume() answers it', async () => {
    const server = await startRedis(local)
    try {
      const connection = await RespConnection.open(server)
      await server.pause()
      const started = Date.now()
      await expect(connection.command(['PING'], 300)).rejects.toThrow(/timed out/)
      expect(Date.now() - started).toBeLessThan(1_000)
      const second = await RespConnection.open(server)
      const answer = second.command(['PING'], 5_000)
      await server.resume()
      expect(await answer).toBe('PONG')
      second.close()
    } finally {
      await server.stop()
    }
  })

  it('killClients() drops connections of the given type only', async () => {
    const server = await startRedis(local)
    try {
      const normal = await RespConnection.open(server)
      const subscriber = await RespConnection.open(server)
      await subscriber.command(['SUBSCRIBE', 'channel'])
      expect(await server.killClients('pubsub')).toBe(1)
      await expect(subscriber.command(['PING'], 500)).rejects.toThrow()
      expect(await normal.command(['PING'])).toBe('PONG')
      expect(await server.killClients('normal')).toBe(1)
      await expect(normal.command(['PING'], 500)).rejects.toThrow()
    } finally {
      await server.stop()
    }
  })

  it('flushAll() empties the server, and [Symbol.asyncDispose] stops it', async () => {
    const server = await startRedis(local)
    const pid = server.pid!
    await server.command(['SET', 'a', '1'])
    await server.flushAll()
    expect(await server.command(['DBSIZE'])).toBe(0)
    await server[Symbol.asyncDispose]()
    await processGone(pid)
    await expect(server.kill()).rejects.toThrow(/stopped/)
  })

  it('password and ACL users: the url logs in, anonymous connections are refused', async () => {
    const server = await startRedis({
      ...local,
      password: 'p@ss word',
      users: [{ name: 'reader', password: 'secret', rules: ['~*', '+get', '+ping'] }],
    })
    try {
      expect(server.url).toBe(`redis://:p%40ss%20word@127.0.0.1:${server.port}`)
      expect(await server.command(['PING'])).toBe('PONG')
      const anonymous = await RespConnection.open({ host: server.host, port: server.port })
      await expect(anonymous.command(['GET', 'x'])).rejects.toThrow(/NOAUTH/)
      anonymous.close()
      const reader = await RespConnection.open({
        host: server.host,
        port: server.port,
        username: 'reader',
        password: 'secret',
      })
      expect(await reader.command(['GET', 'x'])).toBeNull()
      await expect(reader.command(['SET', 'x', '1'])).rejects.toThrow(/NOPERM/)
      reader.close()
    } finally {
      await server.stop()
    }
  })

  it('uses REDIS_URL when set: connection controls work, process controls say what they need', async () => {
    const real = await startRedis(local)
    const previous = process.env.REDIS_URL
    process.env.REDIS_URL = real.url
    try {
      const shared = await startRedis({ strategy: 'auto' })
      expect(shared.strategy).toBe('url')
      expect(shared.port).toBe(real.port)
      const connection = await RespConnection.open(shared)
      expect(await shared.killClients('normal')).toBe(1)
      connection.close()
      const failure = await shared.kill().catch((error: unknown) => error)
      expect(CacheplaneError.hasCode(failure, 'E_UNSUPPORTED')).toBe(true)
      expect((failure as Error).message).toMatch(/needs a local Redis server process/)
      await shared.stop()
      expect(await real.command(['PING']), 'stop() leaves a REDIS_URL server running').toBe('PONG')
    } finally {
      if (previous === undefined) delete process.env.REDIS_URL
      else process.env.REDIS_URL = previous
      await real.stop()
    }
  })

  it('says how to get Redis when redis-server is missing', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      const failure = await startRedis(local).catch((error: unknown) => error)
      expect(CacheplaneError.hasCode(failure, 'E_UNSUPPORTED')).toBe(true)
      expect((failure as Error).message).toContain(
        'apt-get install -y redis-server, or set REDIS_URL',
      )
    } finally {
      process.env.PATH = path
    }
  })

  it('falls back to a redis-server process when the Docker engine does not answer', async () => {
    const previous = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1'
    try {
      const server = await startRedis({ strategy: 'auto' })
      expect(server.strategy).toBe('process')
      await server.stop()
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = previous
    }
  })

  it('a server outlives no test process, even one killed with SIGKILL', async () => {
    // A separate Node process starts a server through the built package, then dies unannounced.
    const script = `
      import { startRedis } from '@cacheplane/conformance/redis'
      const server = await startRedis({ strategy: 'process' })
      console.log(server.pid)
      setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
      child.once('exit', (code) => reject(new Error(`the script exited early with ${code}`)))
    })
    expect(processExists(pid)).toBe(true)
    child.kill('SIGKILL')
    await processGone(pid)
  })

  it('rejects unknown and malformed options with E_INVALID_OPTION', async () => {
    const unknown = await startRedis({ pasword: 'x' } as never).catch((error: unknown) => error)
    expect(CacheplaneError.hasCode(unknown, 'E_INVALID_OPTION')).toBe(true)
    expect((unknown as Error).message).toMatch(/unknown option "pasword"/)
    const strategy = await startRedis({ strategy: 'docker' as never }).catch(
      (error: unknown) => error,
    )
    expect(CacheplaneError.hasCode(strategy, 'E_INVALID_OPTION')).toBe(true)
    const cluster = await startRedisCluster({ master: 3 } as never).catch((error: unknown) => error)
    expect(CacheplaneError.hasCode(cluster, 'E_INVALID_OPTION')).toBe(true)
  })
})

describe.concurrent('startRedisCluster', () => {
  it('starts 3 masters that agree the cluster is ok, and stops every node', async () => {
    const cluster = await startRedisCluster({ masters: 3 })
    const pids: number[] = []
    try {
      expect(cluster.nodes).toHaveLength(3)
      const masters = await cluster.masters()
      expect(masters.map((node) => node.port)).toEqual(cluster.nodes.map((node) => node.port))
      for (const node of cluster.nodes) {
        const info = replyText(await cluster.command(node, ['CLUSTER', 'INFO']))
        expect(info).toContain('cluster_state:ok')
        expect(info).toContain('cluster_size:3')
        pids.push(
          Number(
            /process_id:(\d+)/.exec(
              replyText(await cluster.command(node, ['INFO', 'server'])),
            )?.[1],
          ),
        )
      }
    } finally {
      await cluster.stop()
    }
    for (const pid of pids) await processGone(pid)
  })

  it('with replicas, fails over after killMaster()', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicas: 1 })
    try {
      expect(cluster.nodes).toHaveLength(6)
      const killed = await cluster.killMaster(0)
      const masters = await cluster.waitForFailover()
      expect(masters).toHaveLength(3)
      expect(masters.map((node) => node.port)).not.toContain(killed.port)
      const promoted = masters[0]!
      const role = replyText(await cluster.command(promoted, ['INFO', 'replication']))
      expect(role).toContain('role:master')
    } finally {
      await cluster.stop()
    }
  }, 30_000)
})
