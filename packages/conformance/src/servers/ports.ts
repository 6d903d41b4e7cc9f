import { createServer } from 'node:net'

/** Listens on `port` (0: any) on loopback and closes again; resolves the port, or `undefined` when taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(undefined))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : undefined
      server.close(() => resolve(bound))
    })
  })
}

/** A loopback port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  const port = await probe(0)
  if (port === undefined) throw new Error('Could not find a free loopback port')
  return port
}

/**
 * A port in 20000-29999 whose cluster bus port (port + 10000) is free too:
 * Redis Cluster nodes listen on both. `exclude` holds ports already chosen.
 */
export async function freeClusterPort(exclude: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    if (exclude.has(port)) continue
    if ((await probe(port)) === undefined) continue
    if ((await probe(port + 10_000)) === undefined) continue
    return port
  }
  throw new Error('Could not find a free loopback port pair for a cluster node in 20000-29999')
}
