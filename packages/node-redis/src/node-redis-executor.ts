import type { RedisExecutor, ScriptCall } from '@cacheplane/redis-shared'
import {
  isCluster,
  keyPrefixOf,
  type NodeRedisClient,
  type NodeRedisCommandOptions,
  type RedisArgument,
} from './client.js'

/** RESP type code of bulk strings: the replies come back as `Buffer`, binary-safe. */
const BLOB_STRING = 36

// Whatever type mapping the client was given, the handle needs raw bytes.
const replyOptions: NodeRedisCommandOptions = Object.freeze({
  typeMapping: Object.freeze({ [BLOB_STRING]: Buffer }),
})

type Send = (firstKey: RedisArgument, args: RedisArgument[]) => Promise<unknown>

function toArgument(value: string | Uint8Array): RedisArgument {
  return typeof value === 'string' || Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function prefixed(prefix: RedisArgument | undefined, key: string): RedisArgument {
  if (prefix === undefined) return key
  return typeof prefix === 'string' ? prefix + key : Buffer.concat([prefix, Buffer.from(key)])
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

async function runOne(
  send: Send,
  prefix: RedisArgument | undefined,
  call: ScriptCall,
): Promise<unknown> {
  const keys = call.keys.map((key) => prefixed(prefix, key))
  const tail: RedisArgument[] = [String(keys.length), ...keys, ...call.args.map(toArgument)]
  // Scripts are keyed by their bucket's hash tag: the first key routes the call.
  const firstKey = keys[0] ?? ''
  try {
    return await send(firstKey, ['EVALSHA', call.script.sha1, ...tail])
  } catch (error) {
    if (!errorText(error).startsWith('NOSCRIPT')) throw error
    return send(firstKey, ['EVAL', call.script.source, ...tail])
  }
}

function settle(promise: Promise<unknown>): Promise<PromiseSettledResult<unknown>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  )
}

/**
 * The {@link RedisExecutor} over a node-redis client or Cluster: `EVALSHA`
 * through `sendCommand` with bulk strings mapped to `Buffer`, and `EVAL` when
 * the server does not know the script yet. node-redis writes every command
 * issued in one turn of the event loop in one go (per node on a Cluster), so
 * a batch of calls is one round trip per node without an explicit pipeline;
 * the Cluster client follows `MOVED` and `ASK` by itself.
 */
export function nodeRedisExecutor(client: NodeRedisClient): RedisExecutor {
  const prefix = keyPrefixOf(client)
  const send: Send = isCluster(client)
    ? (firstKey, args) => client.sendCommand(firstKey, false, args, replyOptions)
    : (_, args) => client.sendCommand(args, replyOptions)
  return {
    isCluster: isCluster(client),
    ...(isCluster(client) ? {} : { connection: client }),
    writesImmediately: false,
    run: (calls) => Promise.all(calls.map((call) => settle(runOne(send, prefix, call)))),
  }
}
