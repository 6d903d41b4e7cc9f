// Keys and values at and over the limits, keys that are not strings, options
// of the wrong type: a typed error each time, and the instance keeps serving.
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError, type CacheplaneErrorCode, createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { availableAdapters, loadAdapter } from '../src/adapters.mjs'
import { instances } from './support/instances.js'

const adapters = await availableAdapters()
let server: RedisTestServer
let fleet: ReturnType<typeof instances>

beforeAll(async () => {
  // Redis refuses bulk strings over 1 MB here: a value limit on the server's side.
  server = await startRedis({ strategy: 'process', args: ['--proto-max-bulk-len', '1mb'] })
  fleet = instances(server)
})

afterAll(async () => {
  await fleet?.closeAll()
  await server?.stop()
})

/** Resolves the error `run` throws or rejects with; fails if it does neither. */
async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, got none')
}

async function expectCode(run: () => unknown, code: CacheplaneErrorCode, what: string) {
  const error = await errorOf(run)
  expect(CacheplaneError.isInstance(error), `${what}: ${String(error)}`).toBe(true)
  expect((error as CacheplaneError).code, what).toBe(code)
}

async function pair(name: string, options: Record<string, unknown> = {}) {
  const writer = await fleet.create<unknown>(adapters[0]!, { name, ...options })
  const reader = await fleet.create<unknown>(adapters[1 % adapters.length]!, { name, ...options })
  await Promise.all([writer.ready(), reader.ready()])
  return { writer, reader }
}

describe.each(adapters)('on %s', (adapter) => {
  it('keys at the limit travel, keys over it and keys that are not strings are refused', async () => {
    const { writer, reader } = await pair(`keys-${adapter}`)
    const longest = 'k'.repeat(1024)
    const region = 'r'.repeat(1024)
    await writer.set(longest, 'old', { region })
    expect(await reader.get(longest, { region })).toBe('old')
    await writer.set(longest, 'new', { region })
    await pollUntil(async () => (await reader.get(longest, { region })) === 'new', {
      timeout: 5_000,
      description: 'the longest key to be invalidated on the other instance',
    })

    const tooLong = 'k'.repeat(1025)
    const badKeys: [string, unknown][] = [
      ['1025 characters', tooLong],
      ['empty', ''],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an object', { toString: () => 'key' }],
      ['an array', ['key']],
      ['a symbol', Symbol('key')],
    ]
    for (const [what, key] of badKeys) {
      const asKey = key as string
      await expectCode(() => reader.get(asKey), 'E_INVALID_KEY', `get, ${what}`)
      await expectCode(() => reader.getOrSet(asKey, () => 1), 'E_INVALID_KEY', `getOrSet, ${what}`)
      await expectCode(() => reader.peek(asKey), 'E_INVALID_KEY', `peek, ${what}`)
      await expectCode(() => reader.has(asKey), 'E_INVALID_KEY', `has, ${what}`)
      await expectCode(() => writer.set(asKey, 1), 'E_INVALID_KEY', `set, ${what}`)
      await expectCode(() => writer.delete(asKey), 'E_INVALID_KEY', `delete, ${what}`)
    }
    await expectCode(() => reader.get('k', { region: tooLong }), 'E_INVALID_KEY', 'region too long')
    await expectCode(
      () => reader.get('k', { region: 5 as never }),
      'E_INVALID_KEY',
      'region number',
    )
    // A lone surrogate could not travel in a frame: refused on writes.
    await expectCode(() => writer.set('\uD800', 1), 'E_INVALID_KEY', 'lone surrogate')

    // Still serving.
    await writer.set('after', 'fine')
    expect(await reader.get('after')).toBe('fine')
  })

  it("keys at the protocol's limit: a frame too big for maxFrameBytes becomes a clear", async () => {
    const { writer, reader } = await pair(`protocol-keys-${adapter}`, { maxKeyLength: 65_536 })
    const errors: unknown[] = []
    writer.on('error', (error) => errors.push(error))
    await writer.set('small', 'old')
    expect(await reader.get('small')).toBe('old')
    // One key of 65,536 characters encodes past the 64 KiB frame limit: receivers get a clear instead.
    const huge = 'h'.repeat(65_536)
    await writer.set(huge, 'value')
    await pollUntil(() => reader.peek('small') === undefined, {
      timeout: 5_000,
      description: 'the clear to reach the reader',
    })
    expect(await reader.get(huge)).toBe('value')
    expect(errors.some((error) => CacheplaneError.hasCode(error, 'E_BACKPLANE_PUBLISH'))).toBe(true)
    await expectCode(
      () => writer.get('h'.repeat(65_537)),
      'E_INVALID_KEY',
      'a key over maxKeyLength',
    )
  })

  it('values: undefined and what cannot be serialized are refused; past the server limit, typed', async () => {
    const { writer, reader } = await pair(`values-${adapter}`)
    await expectCode(() => writer.set('k', undefined), 'E_INVALID_VALUE', 'undefined')
    const circular: Record<string, unknown> = {}
    circular.self = circular
    await expectCode(() => writer.set('k', circular), 'E_SERIALIZATION', 'a circular object')
    await expectCode(() => writer.set('k', { run() {} }), 'E_SERIALIZATION', 'a function')

    // Just under the server's 1 MB limit: stored and read back through L2 on the other instance.
    const large = 'v'.repeat(1024 * 1024 - 4096)
    await writer.set('large', large)
    expect(await reader.get('large')).toBe(large)
    // Over it: Redis refuses the command.
    await expectCode(
      () => writer.set('huge', 'v'.repeat(2 * 1024 * 1024)),
      'E_L2_UNAVAILABLE',
      'over the server limit',
    )
    // The client reconnects by itself; the instance keeps serving.
    await pollUntil(
      async () => {
        await writer.set('after', 'fine')
        return (await reader.get('after')) === 'fine'
      },
      { timeout: 10_000, description: 'the writer to serve again' },
    )
  })
})

describe('options of the wrong type', () => {
  it('createCache, per-call options and the adapters throw E_INVALID_OPTION', async () => {
    const adapter = await loadAdapter(adapters[0]!)
    const client = await adapter.connect({
      kind: 'standalone',
      host: server.host,
      port: server.port,
    })
    try {
      const valid = () => ({ name: 'options', handles: [memoryHandle(), adapter.handle(client)] })
      const wrong: [string, Record<string, unknown>][] = [
        ['name as a number', { name: 5 }],
        ['name with a space', { name: 'two words' }],
        ['handles as a string', { handles: 'memory' }],
        ['an unknown option', { colour: 'blue' }],
        ['heartbeatInterval as a word', { backplaneOptions: { heartbeatInterval: 'soon' } }],
        ['degradedTtl negative', { backplaneOptions: { degradedTtl: -1 } }],
        [
          'heartbeatTimeout below the interval',
          { backplaneOptions: { heartbeatInterval: 100, heartbeatTimeout: 50 } },
        ],
        ['channelPrefix with a colon', { backplaneOptions: { channelPrefix: 'a:b' } }],
        ['maxFrameBytes as a string', { backplaneOptions: { maxFrameBytes: '64k' } }],
        ['ttl as an object', { defaults: { ttl: {} } }],
        ['tags as a string', { defaults: { tags: 'a,b' } }],
        ['maxKeyLength past the protocol', { maxKeyLength: 65_537 }],
        ['serializer without methods', { serializer: {} }],
        ['backplane that is not a transport', { backplane: { publish: 1 } }],
      ]
      for (const [what, change] of wrong) {
        await expectCode(
          () => createCache({ ...valid(), ...change } as never),
          'E_INVALID_OPTION',
          what,
        )
      }
      await expectCode(() => adapter.handle({}), 'E_INVALID_OPTION', 'handle without a client')
      await expectCode(
        () => adapter.handle(client, { prefix: 'a{b' }),
        'E_INVALID_OPTION',
        'prefix with a brace',
      )
      await expectCode(
        () => adapter.backplane(client, { mode: 'carrier-pigeon' }),
        'E_INVALID_OPTION',
        'mode',
      )
      await expectCode(
        () => adapter.backplane(client, { publishTimeout: -5 }),
        'E_INVALID_OPTION',
        'publishTimeout',
      )

      const cache = createCache(valid())
      try {
        await expectCode(
          () => cache.set('k', 1, { ttl: 'forever' } as never),
          'E_INVALID_OPTION',
          'ttl word',
        )
        await expectCode(
          () => cache.set('k', 1, { grace: -1 } as never),
          'E_INVALID_OPTION',
          'grace',
        )
        await expectCode(
          () => cache.set('k', 1, { colour: 'blue' } as never),
          'E_INVALID_OPTION',
          'unknown',
        )
        await expectCode(
          () => cache.getOrSet('k', 'not a function' as never),
          'E_INVALID_OPTION',
          'factory',
        )
        await expectCode(() => cache.getMany('k' as never), 'E_INVALID_OPTION', 'getMany')
        await cache.set('k', 1)
        expect(await cache.get('k')).toBe(1)
      } finally {
        await cache.close()
      }
    } finally {
      await adapter.quit(client)
    }
  })
})
