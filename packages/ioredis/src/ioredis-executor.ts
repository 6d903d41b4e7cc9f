import { type RedisExecutor, type ScriptCall, slotOf } from '@cacheplane/redis-shared'
import type { Cluster } from 'ioredis'
import { type IoredisClient, isCluster } from './client.js'

type Argument = string | Buffer

/**
 * ioredis generates a `Buffer` variant of every command (binary-safe
 * replies) but types few of them. `callBuffer` would do, except that
 * auto-pipelining drops its command name (ioredis 6.0.0).
 */
interface BufferScripting {
  evalshaBuffer(...args: Argument[]): Promise<unknown>
  evalBuffer(...args: Argument[]): Promise<unknown>
}

function commandArguments(call: ScriptCall, script: string): Argument[] {
  const args: Argument[] = [script, String(call.keys.length), ...call.keys]
  for (const arg of call.args) {
    args.push(
      typeof arg === 'string' || Buffer.isBuffer(arg)
        ? arg
        : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength),
    )
  }
  return args
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

// Replies that say "not executed, send it again on its own": the single-command
// path knows how to load scripts and follow Cluster redirections.
const retryAlone = /^(NOSCRIPT|MOVED|ASK|TRYAGAIN)\b/

async function runAlone(client: IoredisClient, call: ScriptCall): Promise<unknown> {
  const scripting = client as unknown as BufferScripting
  try {
    return await scripting.evalshaBuffer(...commandArguments(call, call.script.sha1))
  } catch (error) {
    if (!errorText(error).startsWith('NOSCRIPT')) throw error
    return scripting.evalBuffer(...commandArguments(call, call.script.source))
  }
}

function settle(promise: Promise<unknown>): Promise<PromiseSettledResult<unknown>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  )
}

async function runPipelined(
  client: IoredisClient,
  calls: readonly ScriptCall[],
): Promise<PromiseSettledResult<unknown>[]> {
  const pipeline = client.pipeline()
  const scripting = pipeline as unknown as BufferScripting
  for (const call of calls) scripting.evalshaBuffer(...commandArguments(call, call.script.sha1))
  let replies: [Error | null, unknown][] | null
  try {
    replies = await pipeline.exec()
  } catch {
    // The pipeline as a whole was refused (a Cluster whose slots moved, say): one by one then.
    replies = null
  }
  return Promise.all(
    calls.map((call, index) => {
      const reply = replies?.[index]
      if (reply === undefined) return settle(runAlone(client, call))
      const [error, value] = reply
      if (error === null) return { status: 'fulfilled', value } as const
      if (retryAlone.test(errorText(error))) return settle(runAlone(client, call))
      return { status: 'rejected', reason: error } as const
    }),
  )
}

/** Groups calls by the master that serves their slot, so that each group is one pipeline. */
function groupByNode(cluster: Cluster, calls: readonly ScriptCall[]): number[][] {
  const groups = new Map<string, number[]>()
  calls.forEach((call, index) => {
    const slot = slotOf(call.keys[0] ?? '')
    const node = cluster.slots[slot]?.[0] ?? `slot ${slot}`
    const group = groups.get(node)
    if (group === undefined) groups.set(node, [index])
    else group.push(index)
  })
  return [...groups.values()]
}

/**
 * The {@link RedisExecutor} over an ioredis client: `EVALSHA` with
 * binary-safe replies, one pipeline per node for a batch, and
 * `EVAL` when the server does not know the script yet. ioredis writes each
 * command as it is issued, unless auto-pipelining collects a turn's commands.
 */
export function ioredisExecutor(client: IoredisClient): RedisExecutor {
  const cluster = isCluster(client)
  return {
    isCluster: cluster,
    ...(cluster ? {} : { connection: client }),
    writesImmediately: client.options.enableAutoPipelining !== true,
    async run(calls) {
      if (calls.length === 1) return [await settle(runAlone(client, calls[0]!))]
      const groups = cluster ? groupByNode(client, calls) : [calls.map((_, index) => index)]
      const results: PromiseSettledResult<unknown>[] = new Array(calls.length)
      await Promise.all(
        groups.map(async (indexes) => {
          const outcomes =
            indexes.length === 1
              ? [await settle(runAlone(client, calls[indexes[0]!]!))]
              : await runPipelined(
                  client,
                  indexes.map((index) => calls[index]!),
                )
          indexes.forEach((index, position) => {
            results[index] = outcomes[position]!
          })
        }),
      )
      return results
    },
  }
}
