import type { RedisTestServer } from '@cacheplane/conformance/redis'
import { type Cache, type CacheOptions, createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { loadAdapter } from '../../src/adapters.mjs'
import { backplaneTimings } from '../../src/settings.mjs'

type Adapter = Awaited<ReturnType<typeof loadAdapter>>

/**
 * Cache instances in this process, each with clients of its own (as separate
 * processes would have), and the teardown that closes every one of them.
 */
export function instances(server: RedisTestServer) {
  const opened: { cache?: Cache<unknown>; adapter: Adapter; client: unknown }[] = []
  return {
    async create<T>(
      adapterName: string,
      options: Partial<CacheOptions> & { handlePrefix?: string },
      credentials: { username?: string; password?: string; awaitConnect?: boolean } = {},
    ): Promise<Cache<T>> {
      const adapter = await loadAdapter(adapterName)
      const client = await adapter.connect({
        kind: 'standalone',
        host: server.host,
        port: server.port,
        ...credentials,
      })
      const record: (typeof opened)[number] = { adapter, client }
      opened.push(record)
      const { handlePrefix, backplaneOptions, ...cacheOptions } = options
      const cache = createCache<T>({
        name: 'reliability',
        handles: [
          memoryHandle(),
          adapter.handle(client, handlePrefix === undefined ? {} : { prefix: handlePrefix }),
        ],
        backplane: adapter.backplane(client),
        ...cacheOptions,
        backplaneOptions: { ...backplaneTimings, ...backplaneOptions },
      })
      record.cache = cache as Cache<unknown>
      return cache
    },
    async closeAll() {
      for (const { cache, adapter, client } of opened.splice(0)) {
        await cache?.close()
        await adapter.quit(client)
      }
    },
  }
}
