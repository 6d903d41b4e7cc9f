// The little HTTP plumbing the demo's servers share (node:http only).

const MAX_BODY_BYTES = 64 * 1024

/** The request body parsed as JSON, `{}` when empty. */
export async function readJson(request) {
  let size = 0
  const chunks = []
  for await (const chunk of request) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large')
    chunks.push(chunk)
  }
  if (chunks.length === 0) return {}
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'request body is not JSON')
  }
}

export function sendJson(response, status, body) {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  response.end(text)
}

export class HttpError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

/**
 * A request handler from a table of routes: `'GET /products/:id'` → handler
 * `(request, response, params, url)`. Handlers may return a value to send as
 * JSON (200) or write the response themselves.
 */
export function router(routes) {
  const table = Object.entries(routes).map(([pattern, handler]) => {
    const [method, path] = pattern.split(' ')
    const names = []
    const source = path.replace(/:(\w+)/g, (_, name) => {
      names.push(name)
      return '([^/]+)'
    })
    return { method, regex: new RegExp(`^${source}$`), names, handler }
  })
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    try {
      for (const route of table) {
        if (route.method !== request.method) continue
        const match = route.regex.exec(url.pathname)
        if (match === null) continue
        const params = Object.fromEntries(
          route.names.map((name, index) => [name, decodeURIComponent(match[index + 1])]),
        )
        const result = await route.handler(request, response, params, url)
        if (!response.headersSent && !response.writableEnded) sendJson(response, 200, result ?? {})
        return
      }
      throw new HttpError(404, `no route for ${request.method} ${url.pathname}`)
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500
      if (!response.headersSent) {
        sendJson(response, status, {
          error: error instanceof Error ? error.message : String(error),
        })
      } else {
        response.destroy()
      }
    }
  }
}

/** Listens on 127.0.0.1; when `port` is taken and `fallbackToAny`, on a free port instead. */
export function listen(server, port, { fallbackToAny = false } = {}) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      if (error.code === 'EADDRINUSE' && fallbackToAny && port !== 0) {
        server.off('error', onError)
        resolve(listen(server, 0))
        return
      }
      reject(error)
    }
    server.once('error', onError)
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', onError)
      resolve(server.address().port)
    })
  })
}

/** Closes a server, ending its keep-alive and streaming connections too. */
export function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections?.()
  })
}
