import { type Duration, parseDuration, parseOptionalDuration } from './duration.js'
import { CacheplaneError, invalidOption } from './errors.js'
import type { CacheHandle } from './handle.js'
import { DEFAULT_DECODE_LIMITS } from './protocol/decode-limits.js'
import { utf8Length } from './protocol/utf8.js'
import { cborSerializer, type Serializer } from './serializer.js'
import type { BackplaneTransport } from './transport.js'

/** How long an entry lives. Used in `defaults` and per call. */
export interface EntryOptions {
  /** Fresh for this long after a write. `Infinity`: never expires. @default '5m' */
  ttl?: Duration
  /** Renew `ttl` on every read hit (sliding expiry) instead of counting from the write. @default false */
  sliding?: boolean
  /** Keep the value this long past `ttl`, to serve it stale when the factory or L2 fails. @default 0 */
  grace?: Duration
  /** Tags, for `invalidateTags`. @default [] */
  tags?: readonly string[]
}

/** Options of every keyed call. */
export interface KeyOptions {
  /** A namespace inside the cache; `clearRegion` removes all of it. @default undefined (no region) */
  region?: string
  /**
   * Leave the L2 (the backplane source) out: `get` and `getOrSet` read L1 only
   * (`getOrSet` stores the factory's value in L1 only), `set` and `delete`
   * change this instance's L1 only and tell no other instance. @default false
   */
  skipL2?: boolean
}

/** Options of calls that change entries. */
export interface WriteOptions extends KeyOptions {
  /** Do not tell other instances (their L1 keeps what it has). @default false */
  skipBackplane?: boolean
}

export interface SetOptions extends WriteOptions, EntryOptions {}

export interface GetOrSetOptions extends SetOptions {
  /**
   * When a stale value (within grace) exists, wait this long for the factory,
   * then serve the stale value; the factory goes on and its result is stored
   * when it lands. @default none
   */
  softTimeout?: Duration
  /**
   * Wait at most this long for the factory: then serve a stale value if there
   * is one, else reject with `E_FACTORY_TIMEOUT`. The factory goes on and its
   * result is stored when it lands. @default none
   */
  hardTimeout?: Duration
  /**
   * Fleet-wide stampede protection for this call: on a miss, one instance of
   * the fleet runs the factory while the others wait for its value. `true`
   * needs a source that can lock; `false` turns the cache's `fleetLock` off
   * for this call. @default the cache's `fleetLock`
   */
  fleetLock?: boolean
}

/** Fleet-wide stampede protection (see `CacheOptions.fleetLock`). */
export interface FleetLockOptions {
  /**
   * How long the lock outlives a holder that stops renewing it (the holder
   * renews it every third of this while its factory runs). @default '10s'
   */
  lease?: Duration
  /** How long a caller waits for another instance's value before running its own factory. @default '30s' */
  maxWait?: Duration
}

/** Backplane tuning. Every duration is validated at `createCache`. */
export interface BackplaneOptions {
  /** First part of the channel name: `<prefix>:<cache name>:v<protocol major>`. @default 'cacheplane' */
  channelPrefix?: string
  /** How often this instance publishes a heartbeat (and expects to hear its own back). @default '1s' */
  heartbeatInterval?: Duration
  /** Silence after which the subscription is considered dead and the cache goes degraded. @default 3 × heartbeatInterval */
  heartbeatTimeout?: Duration
  /** While the backplane is down, L1 entries live at most this long. @default '5s' */
  degradedTtl?: Duration
  /** Keys kept in the outbox of failed publishes before it overflows. @default 10000 */
  outboxSize?: number
  /** Largest frame this instance sends, in bytes; bigger batches are split. @default 65536 */
  maxFrameBytes?: number
  /** Largest frame this instance accepts, in bytes; bigger ones are rejected. @default 1048576 */
  maxIncomingFrameBytes?: number
  /** This instance's id on the wire. @default a random id */
  instanceId?: string
}

export interface CacheOptions {
  /** Isolates this cache's keys and backplane channel from other caches on the same stores. */
  name: string
  /** Storage layers, fastest first: typically `[memoryHandle(), redisHandle({ client })]`. */
  handles: readonly CacheHandle[]
  /**
   * Index of the handle that is the backplane source. Only needed to confirm a
   * source that is not the last handle. @default the handle that says `backplaneSource: true`, else the last
   */
  backplaneSource?: number
  /** The transport that carries invalidations between instances. @default none (single instance) */
  backplane?: BackplaneTransport
  backplaneOptions?: BackplaneOptions
  /** Applied to every write unless the call says otherwise. */
  defaults?: EntryOptions
  /** Encodes values for distributed handles. @default cborSerializer() */
  serializer?: Serializer
  /** Longest key accepted, in UTF-16 code units. @default 1024 */
  maxKeyLength?: number
  /**
   * Stop calling a failing L2 (the source) for a while: after `failures`
   * failures in a row, calls fail fast with `E_L2_UNAVAILABLE` (and fail-safe
   * answers from L1 and factories) for `breakDuration`, then one call probes.
   * `false` turns it off. @default { failures: 5, breakDuration: '5s' }
   */
  circuitBreaker?: { failures?: number; breakDuration?: Duration } | false
  /**
   * Fleet-wide stampede protection for `getOrSet`: when instances miss the
   * same key at once, one takes a lock in the source and runs the factory; the
   * others wait, woken by the backplane when the value is stored. Needs a
   * source that can lock (`capabilities.locks`, as the Redis handles).
   * `true` uses the defaults. Per call, `getOrSet(..., { fleetLock })` wins. @default false
   */
  fleetLock?: boolean | FleetLockOptions
}

/** Entry options with durations parsed. @internal */
export interface ResolvedEntryOptions {
  ttl: number
  sliding: boolean
  grace: number
  tags: readonly string[]
}

/** Backplane options with defaults applied. @internal */
export interface ResolvedBackplaneOptions {
  channelPrefix: string
  heartbeatInterval: number
  heartbeatTimeout: number
  degradedTtl: number
  outboxSize: number
  maxFrameBytes: number
  maxIncomingFrameBytes: number
  instanceId: string
}

/** @internal */
export interface ResolvedCacheOptions {
  name: string
  handles: readonly CacheHandle[]
  sourceIndex: number
  backplane: BackplaneTransport | undefined
  backplaneOptions: ResolvedBackplaneOptions
  defaults: ResolvedEntryOptions
  serializer: Serializer
  maxKeyLength: number
  circuitBreaker: { failures: number; breakDuration: number } | undefined
  /** The lock settings (also for calls that ask for the lock), and whether calls lock by default. */
  fleetLock: { lease: number; maxWait: number; byDefault: boolean }
}

const cacheOptionNames = new Set([
  'name',
  'handles',
  'backplaneSource',
  'backplane',
  'backplaneOptions',
  'defaults',
  'serializer',
  'maxKeyLength',
  'circuitBreaker',
  'fleetLock',
])
const backplaneOptionNames = new Set([
  'channelPrefix',
  'heartbeatInterval',
  'heartbeatTimeout',
  'degradedTtl',
  'outboxSize',
  'maxFrameBytes',
  'maxIncomingFrameBytes',
  'instanceId',
])
const entryOptionNames = new Set(['ttl', 'sliding', 'grace', 'tags'])

const DEFAULT_TTL = 5 * 60_000
const namePattern = /^[A-Za-z0-9_.-]{1,128}$/

function rejectUnknown(given: object, known: Set<string>, where: string): void {
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Unknown option "${where}${key}". Known options: ${[...known].join(', ')}.`,
      )
    }
  }
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  return invalidOption(option, value, 'a positive integer')
}

/** Parses `ttl`, `grace`, `sliding` and `tags`; `base` fills what `options` leaves out. @internal */
export function resolveEntryOptions(
  options: EntryOptions | undefined,
  base: ResolvedEntryOptions,
  where = '',
): ResolvedEntryOptions {
  if (options === undefined) return base
  const ttl =
    options.ttl === undefined
      ? base.ttl
      : options.ttl === Number.POSITIVE_INFINITY
        ? options.ttl
        : parseDuration(options.ttl, `${where}ttl`)
  const grace =
    options.grace === undefined
      ? base.grace
      : options.grace === Number.POSITIVE_INFINITY
        ? options.grace
        : parseDuration(options.grace, `${where}grace`)
  if (options.sliding !== undefined && typeof options.sliding !== 'boolean') {
    invalidOption(`${where}sliding`, options.sliding, 'a boolean')
  }
  const sliding = options.sliding ?? base.sliding
  if (sliding && ttl === Number.POSITIVE_INFINITY) {
    invalidOption(`${where}sliding`, sliding, 'false when ttl is Infinity (nothing to slide)')
  }
  let tags = base.tags
  if (options.tags !== undefined) {
    if (
      !Array.isArray(options.tags) ||
      options.tags.some((tag) => typeof tag !== 'string' || tag === '' || utf8Length(tag) < 0)
    ) {
      invalidOption(`${where}tags`, options.tags, 'an array of non-empty, well-formed strings')
    }
    tags = options.tags
  }
  return { ttl, sliding, grace, tags }
}

function resolveBackplaneOptions(options: BackplaneOptions | undefined): ResolvedBackplaneOptions {
  const given = options ?? {}
  if (typeof given !== 'object' || given === null) {
    invalidOption('backplaneOptions', given, 'an object')
  }
  rejectUnknown(given, backplaneOptionNames, 'backplaneOptions.')
  const channelPrefix = given.channelPrefix ?? 'cacheplane'
  if (typeof channelPrefix !== 'string' || !namePattern.test(channelPrefix)) {
    invalidOption(
      'backplaneOptions.channelPrefix',
      channelPrefix,
      '1-128 characters of A-Z a-z 0-9 _ . -',
    )
  }
  const heartbeatInterval = parseOptionalDuration(
    given.heartbeatInterval,
    'backplaneOptions.heartbeatInterval',
    1_000,
  )
  if (heartbeatInterval < 10) {
    invalidOption('backplaneOptions.heartbeatInterval', given.heartbeatInterval, 'at least 10ms')
  }
  const heartbeatTimeout = parseOptionalDuration(
    given.heartbeatTimeout,
    'backplaneOptions.heartbeatTimeout',
    3 * heartbeatInterval,
  )
  if (heartbeatTimeout <= heartbeatInterval) {
    invalidOption(
      'backplaneOptions.heartbeatTimeout',
      given.heartbeatTimeout,
      `more than heartbeatInterval (${heartbeatInterval}ms)`,
    )
  }
  const degradedTtl = parseOptionalDuration(
    given.degradedTtl,
    'backplaneOptions.degradedTtl',
    5_000,
  )
  const maxFrameBytes = positiveInteger(
    given.maxFrameBytes,
    'backplaneOptions.maxFrameBytes',
    65_536,
  )
  const maxIncomingFrameBytes = positiveInteger(
    given.maxIncomingFrameBytes,
    'backplaneOptions.maxIncomingFrameBytes',
    1_048_576,
  )
  if (maxFrameBytes < 512 || maxFrameBytes > maxIncomingFrameBytes) {
    invalidOption(
      'backplaneOptions.maxFrameBytes',
      maxFrameBytes,
      `between 512 and maxIncomingFrameBytes (${maxIncomingFrameBytes})`,
    )
  }
  const instanceId = given.instanceId ?? randomInstanceId()
  const instanceIdBytes = typeof instanceId === 'string' ? utf8Length(instanceId) : -1
  if (instanceIdBytes < 1 || instanceIdBytes > 256) {
    invalidOption(
      'backplaneOptions.instanceId',
      instanceId,
      'a non-empty, well-formed string of at most 256 UTF-8 bytes',
    )
  }
  return {
    channelPrefix,
    heartbeatInterval,
    heartbeatTimeout,
    degradedTtl,
    outboxSize: positiveInteger(given.outboxSize, 'backplaneOptions.outboxSize', 10_000),
    maxFrameBytes,
    maxIncomingFrameBytes,
    instanceId,
  }
}

function resolveCircuitBreaker(
  value: CacheOptions['circuitBreaker'],
): ResolvedCacheOptions['circuitBreaker'] {
  if (value === false) return undefined
  const given = value ?? {}
  if (typeof given !== 'object' || given === null) {
    return invalidOption('circuitBreaker', value, 'false, or { failures, breakDuration }')
  }
  rejectUnknown(given, new Set(['failures', 'breakDuration']), 'circuitBreaker.')
  return {
    failures: positiveInteger(given.failures, 'circuitBreaker.failures', 5),
    breakDuration: parseOptionalDuration(
      given.breakDuration,
      'circuitBreaker.breakDuration',
      5_000,
    ),
  }
}

function resolveFleetLock(
  value: CacheOptions['fleetLock'],
  source: CacheHandle,
): ResolvedCacheOptions['fleetLock'] {
  if (
    value !== undefined &&
    typeof value !== 'boolean' &&
    (typeof value !== 'object' || value === null)
  ) {
    invalidOption('fleetLock', value, 'a boolean, or { lease, maxWait }')
  }
  const given = typeof value === 'object' ? value : {}
  rejectUnknown(given, new Set(['lease', 'maxWait']), 'fleetLock.')
  const byDefault = value !== undefined && value !== false
  if (byDefault && source.capabilities.locks !== true) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `Invalid option "fleetLock": it needs a backplane source that can lock (capabilities.locks), and the ${source.kind} handle cannot.`,
    )
  }
  const lease = parseOptionalDuration(given.lease, 'fleetLock.lease', 10_000)
  if (lease < 10 || lease === Number.POSITIVE_INFINITY) {
    invalidOption('fleetLock.lease', given.lease, 'a finite duration of at least 10ms')
  }
  return {
    lease: Math.ceil(lease),
    maxWait: parseOptionalDuration(given.maxWait, 'fleetLock.maxWait', 30_000),
    byDefault,
  }
}

/** Receivers reject longer keys (PROTOCOL.md), so a longer limit could not work. */
function keyLength(value: unknown): number {
  const length = positiveInteger(value, 'maxKeyLength', 1024)
  if (length > DEFAULT_DECODE_LIMITS.maxKeyLength) {
    invalidOption(
      'maxKeyLength',
      value,
      `at most ${DEFAULT_DECODE_LIMITS.maxKeyLength} (the protocol's key limit)`,
    )
  }
  return length
}

function randomInstanceId(): string {
  return globalThis.crypto.randomUUID()
}

function resolveSource(handles: readonly CacheHandle[], explicit: unknown): number {
  const declared: number[] = []
  handles.forEach((handle, index) => {
    if (handle.backplaneSource === true) declared.push(index)
  })
  if (declared.length > 1) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `Invalid option "handles": handles ${declared.join(' and ')} both say they are the backplane source; exactly one may.`,
    )
  }
  const last = handles.length - 1
  if (explicit !== undefined) {
    if (
      typeof explicit !== 'number' ||
      !Number.isInteger(explicit) ||
      explicit < 0 ||
      explicit > last
    ) {
      invalidOption('backplaneSource', explicit, `the index of a handle (0 to ${last})`)
    }
    if (declared.length === 1 && declared[0] !== explicit) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Invalid option "backplaneSource": it names handle ${explicit}, but handle ${declared[0]} says it is the source; there can be only one.`,
      )
    }
    return explicit
  }
  const source = declared[0] ?? last
  if (source !== last) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `Invalid option "handles": the backplane source (handle ${source}, ${handles[source]?.kind}) is not the last handle. Put it last, or confirm with backplaneSource: ${source}.`,
    )
  }
  return source
}

function assertHandle(handle: unknown, index: number): asserts handle is CacheHandle {
  const candidate = handle as Partial<CacheHandle> | null
  if (typeof candidate !== 'object' || candidate === null) {
    invalidOption(`handles[${index}]`, handle, 'a cache handle such as memoryHandle()')
  }
  if (candidate.specificationVersion !== 'v1') {
    invalidOption(
      `handles[${index}].specificationVersion`,
      candidate.specificationVersion,
      "'v1' (this core implements the v1 handle contract)",
    )
  }
  for (const method of [
    'attach',
    'get',
    'set',
    'add',
    'delete',
    'expire',
    'clear',
    'clearRegion',
    'close',
  ]) {
    if (typeof (candidate as Record<string, unknown>)[method] !== 'function') {
      invalidOption(
        `handles[${index}].${method}`,
        undefined,
        'a function (required by the v1 handle contract)',
      )
    }
  }
}

/** Validates everything once, at `createCache`. @internal */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) {
    invalidOption('options', options, 'an object with at least "name" and "handles"')
  }
  rejectUnknown(options, cacheOptionNames, '')
  if (typeof options.name !== 'string' || !namePattern.test(options.name)) {
    invalidOption('name', options.name, 'a cache name of 1-128 characters of A-Z a-z 0-9 _ . -')
  }
  if (!Array.isArray(options.handles) || options.handles.length === 0) {
    invalidOption('handles', options.handles, 'a non-empty array of handles, fastest first')
  }
  options.handles.forEach(assertHandle)
  if (new Set(options.handles).size !== options.handles.length) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      'Invalid option "handles": the same handle object appears twice; each layer needs its own handle.',
    )
  }
  const sourceIndex = resolveSource(options.handles, options.backplaneSource)
  const backplane = options.backplane
  if (backplane !== undefined) {
    if (
      typeof backplane !== 'object' ||
      backplane === null ||
      backplane.specificationVersion !== 'v1' ||
      typeof backplane.connect !== 'function' ||
      typeof backplane.publish !== 'function'
    ) {
      invalidOption(
        'backplane',
        backplane,
        'a v1 backplane transport such as redisBackplane({ client })',
      )
    }
    const above = options.handles
      .slice(0, sourceIndex)
      .findIndex((handle) => handle.capabilities.distributed)
    if (above !== -1) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Invalid option "handles": handle ${above} (${options.handles[above]?.kind}) is distributed but sits above the backplane source; remote invalidations would evict shared data. Make it the source or move it below.`,
      )
    }
  }
  const defaults = options.defaults ?? {}
  if (typeof defaults !== 'object' || defaults === null)
    invalidOption('defaults', defaults, 'an object')
  rejectUnknown(defaults, entryOptionNames, 'defaults.')
  const resolvedDefaults = resolveEntryOptions(
    defaults,
    { ttl: DEFAULT_TTL, sliding: false, grace: 0, tags: [] },
    'defaults.',
  )
  const source = options.handles[sourceIndex]!
  if (resolvedDefaults.tags.length > 0 && source.capabilities.tags !== true) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `Invalid option "defaults.tags": tags need a backplane source that keeps tag versions (capabilities.tags), and the ${source.kind} handle does not.`,
    )
  }
  const serializer = options.serializer ?? cborSerializer()
  if (
    typeof serializer !== 'object' ||
    serializer === null ||
    typeof serializer.serialize !== 'function' ||
    typeof serializer.deserialize !== 'function'
  ) {
    invalidOption(
      'serializer',
      serializer,
      'a serializer such as cborSerializer() or jsonSerializer()',
    )
  }
  return {
    name: options.name,
    handles: options.handles,
    sourceIndex,
    backplane,
    backplaneOptions: resolveBackplaneOptions(options.backplaneOptions),
    defaults: resolvedDefaults,
    serializer,
    maxKeyLength: keyLength(options.maxKeyLength),
    circuitBreaker: resolveCircuitBreaker(options.circuitBreaker),
    fleetLock: resolveFleetLock(options.fleetLock, source),
  }
}
