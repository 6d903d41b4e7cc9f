import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { CatalogService } from './catalog-service.mjs'
import { closeServer, HttpError, listen, readJson, router } from './http.mjs'
import { InstanceObserver } from './instance-observer.mjs'
import { TappedTransport } from './tapped-transport.mjs'

const READY_DEADLINE_MS = 10_000

/** The backplane settings every instance uses; the dashboard shows them. */
export const BACKPLANE_SETTINGS = {
  heartbeatInterval: 500,
  heartbeatTimeout: 1_500,
  degradedTtl: 5_000,
}

/**
 * Starts one instance of the catalog service: a memory L1 in front of the
 * given L2, the given backplane transport (watched by a {@link TappedTransport}),
 * and an HTTP server on 127.0.0.1 with the catalog API and the `/_demo/*`
 * endpoints that the dashboard uses.
 *
 * @param {{ index: number, port: number, l2: import('@cacheplane/core').CacheHandle, transport: import('@cacheplane/core').BackplaneTransport, database: import('./catalog-database.mjs').CatalogDatabase, log?: (line: string) => void }} options
 */
export async function startInstance({ index, port, l2, transport, database, log = () => {} }) {
  const name = `instance-${index}`
  const l1 = memoryHandle({ maxEntries: 1_000 })
  const observer = new InstanceObserver({ name, l1, degradedTtlMs: BACKPLANE_SETTINGS.degradedTtl })
  const tapped = new TappedTransport(transport, observer)
  const cache = createCache({
    name: 'catalog',
    handles: [l1, l2],
    backplane: tapped,
    backplaneOptions: { instanceId: name, ...BACKPLANE_SETTINGS },
    defaults: { ttl: '10m' },
  })
  observer.watch(cache, tapped)
  // Serve once subscribed: a write before the others listen would not be heard.
  // Past the deadline the instance serves anyway, degraded, as a real one would.
  await Promise.race([cache.ready(), sleep(READY_DEADLINE_MS, undefined, { ref: false })])
  const service = new CatalogService({ cache, l1, database, observer })

  const server = createServer(
    router({
      'GET /': () => ({
        instance: name,
        try: ['/catalog/1', '/products/1', '/prices/1', '/stock/1', '/_demo/state'],
      }),
      'GET /catalog/:id': async (_request, _response, { id }) => {
        const [product, price, stock] = await Promise.all([
          service.read('products', id),
          service.read('prices', id),
          service.read('stock', id),
        ])
        return { instance: name, product, price, stock }
      },
      'PUT /products/:id': async (request, _response, { id }) =>
        service.updateProduct(id, await readJson(request)),
      'POST /stock/:id/sell': (_request, _response, { id }) => service.sell(id),
      'GET /_demo/state': (_request, _response, _params, url) => ({
        ...observer.snapshot(Number(url.searchParams.get('since') ?? 0)),
        supportsTags: service.supportsTags,
        trafficReads: service.trafficReads,
        transportControls: typeof transport.disconnect === 'function',
      }),
      'POST /_demo/read-all': () => service.readAll(),
      'POST /_demo/clear-region': async (request) =>
        service.clearRegion((await readJson(request)).region),
      'POST /_demo/invalidate-tags': async (request) => {
        const { tags } = await readJson(request)
        if (!Array.isArray(tags) || tags.length === 0) throw new HttpError(400, 'tags: a list')
        return service.invalidateTags(tags)
      },
      'POST /_demo/traffic': async (request) =>
        service.setTraffic(Number((await readJson(request)).readsPerSecond ?? 0)),
      'POST /_demo/drop': async (request) => {
        const seconds = seconds0to60((await readJson(request)).seconds)
        tapped.dropIncoming(seconds * 1000)
        observer.note(`fault: dropping every incoming frame for ${seconds} s`)
        return { droppingUntil: tapped.dropUntil }
      },
      // The memory transport's own fault controls stand in for Redis faults
      // when there is no Redis (see memory-backend.mjs).
      'POST /_demo/disconnect': async (request) => {
        if (typeof transport.disconnect !== 'function') {
          throw new HttpError(501, 'this transport has no disconnect control')
        }
        const seconds = seconds0to60((await readJson(request)).seconds)
        transport.disconnect('fault injected by the dashboard')
        observer.note(`fault: backplane subscription dropped for ${seconds} s`)
        setTimeout(() => transport.reconnect(), seconds * 1000).unref()
        return { seconds }
      },
      // Last: it would match the paths above.
      'GET /:region/:id': async (_request, _response, { region, id }) => ({
        instance: name,
        ...(await service.read(region, id)),
      }),
    }),
  )
  server.keepAliveTimeout = 5_000
  const boundPort = await listen(server, port, { fallbackToAny: true })
  log(`${name} listening on http://127.0.0.1:${boundPort}`)

  return {
    name,
    port: boundPort,
    cache,
    service,
    async close() {
      service.setTraffic(0)
      await closeServer(server)
      await cache.close()
    },
  }
}

function seconds0to60(value) {
  const seconds = Number(value)
  if (!(seconds > 0 && seconds <= 60)) throw new HttpError(400, 'seconds: a number from 0 to 60')
  return seconds
}
