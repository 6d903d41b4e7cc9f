import { invalidOption } from '@cacheplane/redis-shared'

/** A command argument as node-redis sends it. */
export type RedisArgument = string | Buffer

/** The per-command options of `sendCommand` that this adapter sets (node-redis 5 and 6). */
export interface NodeRedisCommandOptions {
  /** RESP type code to JavaScript type, e.g. bulk strings (36) as `Buffer`. */
  typeMapping?: Record<number, unknown>
  /** Drops the command from the client's queue and rejects after this many ms. */
  timeout?: number
}

type Listener = (...args: unknown[]) => unknown
type MessageListener = (message: Buffer, channel: Buffer) => unknown

/**
 * The connection the backplane subscribes on: a `duplicate()` of your client
 * (or of a Cluster node's client). Only the members the adapter uses.
 */
export interface NodeRedisConnection {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  subscribe(channels: string, listener: MessageListener, bufferMode: true): Promise<unknown>
  sSubscribe(channels: string, listener: MessageListener, bufferMode: true): Promise<unknown>
  unsubscribe(channels: string): Promise<unknown>
  sUnsubscribe(channels: string): Promise<unknown>
  destroy(): void
  on(event: string, listener: Listener): unknown
  removeAllListeners(): unknown
}

/** A node-redis client as `createClient()` builds it (the members this adapter uses). */
export interface NodeRedisStandalone {
  readonly isOpen: boolean
  readonly isReady: boolean
  readonly options?: { readonly socket?: object; readonly keyPrefix?: RedisArgument } | undefined
  sendCommand(args: readonly RedisArgument[], options?: NodeRedisCommandOptions): Promise<unknown>
  duplicate(overrides?: Record<string, unknown>): NodeRedisConnection
}

/** One node of a Cluster, as node-redis lists it in `slots` and `masters`. */
export interface NodeRedisClusterNode {
  readonly host: string
  readonly port: number
  readonly address: string
  readonly client?: NodeRedisStandalone | undefined
}

/** A node-redis Cluster as `createCluster()` builds it (the members this adapter uses). */
export interface NodeRedisCluster {
  readonly isOpen: boolean
  readonly slots: readonly ({ readonly master: NodeRedisClusterNode } | undefined)[]
  readonly masters: readonly NodeRedisClusterNode[]
  getSlotMaster(slot: number): NodeRedisClusterNode
  /** The node's client, connecting it first when the Cluster client has none yet. */
  nodeClient(node: NodeRedisClusterNode): Promise<NodeRedisStandalone>
  sendCommand(
    firstKey: RedisArgument | undefined,
    isReadonly: boolean | undefined,
    args: RedisArgument[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>
}

/** What the adapter accepts: a node-redis client or Cluster that you built, connected and own. */
export type NodeRedisClient = NodeRedisStandalone | NodeRedisCluster

export function isCluster(client: NodeRedisClient): client is NodeRedisCluster {
  return typeof (client as Partial<NodeRedisCluster>).getSlotMaster === 'function'
}

/**
 * node-redis 6's `keyPrefix` goes before the keys of typed commands only;
 * the adapter sends raw commands, so it applies the prefix itself.
 */
export function keyPrefixOf(client: NodeRedisClient): RedisArgument | undefined {
  const options = isCluster(client)
    ? (client as { _options?: { keyPrefix?: RedisArgument } })._options
    : client.options
  const prefix = options?.keyPrefix
  return prefix === undefined || prefix.length === 0 ? undefined : prefix
}

function hasMethods(value: object, names: readonly string[]): boolean {
  const record = value as Record<string, unknown>
  return names.every((name) => typeof record[name] === 'function')
}

/**
 * Throws `E_INVALID_OPTION` unless `client` looks like a node-redis client
 * (`createClient`) or Cluster (`createCluster`), node-redis 5 or 6. Sentinel
 * clients and pools are not supported.
 */
export function assertClient(client: unknown, option: string): asserts client is NodeRedisClient {
  const expected =
    'a node-redis client or Cluster (createClient(...) or createCluster(...) from the redis package)'
  if (typeof client !== 'object' || client === null) invalidOption(option, client, expected)
  if (hasMethods(client, ['getSlotMaster', 'sendCommand'])) return
  const standalone = hasMethods(client, ['sendCommand', 'duplicate', 'subscribe', 'sSubscribe'])
  const sentinel = hasMethods(client, ['getMasterNode'])
  if (!standalone || sentinel) invalidOption(option, client, expected)
}
