import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { DashboardState } from './dashboard-state.mjs'
import { closeServer, HttpError, listen, readJson, router } from './http.mjs'

const PUBLIC = new URL('../public/', import.meta.url)
const STATIC_FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard.js': ['dashboard.js', 'text/javascript; charset=utf-8'],
  '/dashboard.css': ['dashboard.css', 'text/css; charset=utf-8'],
}
const POLL_INTERVAL_MS = 200

/**
 * Serves the dashboard (plain HTML and JS from public/, no build step) and
 * its API: `GET /api/state` (one snapshot), `GET /api/stream` (Server-Sent
 * Events, a snapshot after every poll of the instances) and `POST /api/...`
 * actions, which it forwards to the instances or carries out on Redis.
 */
export async function startDashboard({ port, backend, fleet, settings, log = () => {} }) {
  const state = new DashboardState({ backend, instances: fleet.instances, settings })
  const tap = await backend.tap('catalog', {
    onFrame: (bytes) => state.onTapFrame(bytes),
    onStatus: (status) => state.onTapStatus(status),
  })
  state.tap.channel = tap.channel
  state.onTapStatus('up')

  const streams = new Set()
  let stopped = false
  let timer
  const loop = async () => {
    await state.poll()
    if (stopped) return
    if (streams.size > 0) {
      const message = `event: state\ndata: ${JSON.stringify(state.view())}\n\n`
      for (const stream of streams) stream.write(message)
    }
    timer = setTimeout(loop, POLL_INTERVAL_MS)
  }
  await loop()

  const instanceByIndex = (index) => {
    const instance = fleet.instances.find((candidate) => String(candidate.index) === index)
    if (instance === undefined) throw new HttpError(404, `no instance ${index}`)
    return instance
  }
  const forward = async (index, method, path, body, what) => {
    const instance = instanceByIndex(index)
    state.addLog('dashboard', `→ ${instance.name}: ${what}`)
    const response = await fetch(`${instance.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const result = await response.json()
    if (!response.ok) {
      state.addLog(instance.name, `failed: ${result.error}`)
      throw new HttpError(response.status, result.error)
    }
    return result
  }

  const server = createServer(
    router({
      'GET /': (_request, response) => serveStatic(response, '/'),
      'GET /dashboard.js': (_request, response) => serveStatic(response, '/dashboard.js'),
      'GET /dashboard.css': (_request, response) => serveStatic(response, '/dashboard.css'),
      'GET /api/state': () => state.view(),
      'GET /api/stream': (request, response) => {
        response.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        })
        response.write(`event: state\ndata: ${JSON.stringify(state.view())}\n\n`)
        streams.add(response)
        request.on('close', () => streams.delete(response))
      },
      'POST /api/instances/:index/update': async (request, _response, { index }) => {
        const { id = '1' } = await readJson(request)
        return forward(index, 'PUT', `/products/${id}`, {}, `update product ${id}`)
      },
      'POST /api/instances/:index/sell': async (request, _response, { index }) => {
        const { id = '1' } = await readJson(request)
        return forward(index, 'POST', `/stock/${id}/sell`, undefined, `sell one of product ${id}`)
      },
      'POST /api/instances/:index/read-all': (_request, _response, { index }) =>
        forward(index, 'POST', '/_demo/read-all', {}, 'read every record'),
      'POST /api/instances/:index/clear-region': async (request, _response, { index }) => {
        const { region } = await readJson(request)
        return forward(index, 'POST', '/_demo/clear-region', { region }, `clear region ${region}`)
      },
      'POST /api/instances/:index/invalidate-tags': async (request, _response, { index }) => {
        const { tags } = await readJson(request)
        return forward(index, 'POST', '/_demo/invalidate-tags', { tags }, `invalidate ${tags}`)
      },
      'POST /api/instances/:index/drop': async (request, _response, { index }) => {
        const { seconds } = await readJson(request)
        return forward(index, 'POST', '/_demo/drop', { seconds }, `drop frames ${seconds} s`)
      },
      'POST /api/instances/:index/traffic': async (request, _response, { index }) => {
        const { readsPerSecond } = await readJson(request)
        return forward(
          index,
          'POST',
          '/_demo/traffic',
          { readsPerSecond },
          `traffic ${readsPerSecond}/s`,
        )
      },
      // One instance after the other: the first loads from the database, the
      // others find L2 filled. (All at once, each would run its own factory,
      // and each write would evict the others' copies: correct, but noisy.)
      'POST /api/read-all': async () => {
        const results = []
        for (const instance of fleet.instances) {
          results.push(
            await forward(
              String(instance.index),
              'POST',
              '/_demo/read-all',
              {},
              'read every record',
            ),
          )
        }
        return results
      },
      'POST /api/faults/pause': async (request) => {
        if (backend.faults.pause.disabled) throw new HttpError(409, backend.faults.pause.disabled)
        const seconds = Number((await readJson(request)).seconds)
        if (!(seconds > 0 && seconds <= 30)) throw new HttpError(400, 'seconds: 0 to 30')
        state.addLog('dashboard', `fault: ${backend.faults.pause.label} for ${seconds} s`)
        const result = await backend.pause(seconds)
        state.outageUntil = result.resumesAt
        return result
      },
      'POST /api/faults/kill-subscribers': async () => {
        const result = await backend.killSubscribers()
        state.addLog(
          'dashboard',
          `fault: ${backend.faults.killSubscribers.label}: ${result.killed} killed`,
        )
        return result
      },
    }),
  )
  const boundPort = await listen(server, port, { fallbackToAny: true })
  const url = `http://127.0.0.1:${boundPort}/`
  log(`dashboard on ${url}`)

  return {
    url,
    state,
    async stop() {
      stopped = true
      clearTimeout(timer)
      for (const stream of streams) stream.end()
      await closeServer(server)
      await tap.close()
    },
  }
}

async function serveStatic(response, path) {
  const [file, type] = STATIC_FILES[path]
  const body = await readFile(new URL(file, PUBLIC))
  response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
  response.end(body)
}
