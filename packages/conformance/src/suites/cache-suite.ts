import { CacheplaneError } from '@cacheplane/core'
import { describe } from 'vitest'
import { ownFrameCases, raceCases, recoveryCases } from './cache-fault-cases.js'
import { featureCases } from './cache-feature-cases.js'
import { type CacheNode, type CacheNodeContext, useCacheNodes } from './cache-fixture.js'
import { invalidationCases } from './cache-invalidation-cases.js'
import { isolationCases, protocolCases } from './cache-isolation-cases.js'
import { type CacheGroup, cacheGroups } from './clauses.js'
import { rejectUnknownOptions, requireOption, selectGroups } from './suite-options.js'

export interface CacheConformanceOptions {
  /** Names the suite in test output, such as `'ioredis + memory L1'`. */
  name: string
  /**
   * Builds one cache instance ("node"). Nodes with the same `context.cacheName`
   * must share one L2 and one backplane, as instances of one app do; pass the
   * L2 handle through `context.wrapL2` and the transport through
   * `context.wrapTransport` (or return `faults`).
   */
  createNode: (context: CacheNodeContext) => CacheNode | Promise<CacheNode>
  /** How long an invalidation may take to reach another node, in ms. @default 5000 */
  propagationTimeout?: number
  /** Run only these groups. @default every group */
  only?: readonly CacheGroup[]
  /** Leave these groups out. @default [] */
  skip?: readonly CacheGroup[]
}

const suiteName = 'describeCacheConformance'

/**
 * Registers the end-to-end tests (clauses C1-C16): several cache instances
 * on one L2 and one backplane, checked for every kind of invalidation, the
 * load/invalidate race, recovery after a cut backplane, isolation between
 * cache names, the golden protocol fixtures, and tags and the fleet-wide lock
 * (skipped, saying so, when the L2 handle does not declare them).
 *
 * @example
 * describeCacheConformance({
 *   name: 'ioredis',
 *   createNode: ({ cacheName, wrapL2, wrapTransport }) => {
 *     const cache = createCache({
 *       name: cacheName,
 *       handles: [memoryHandle(), wrapL2(redisHandle({ client }))],
 *       backplane: wrapTransport(redisBackplane({ client })),
 *     })
 *     return { cache }
 *   },
 * })
 */
export function describeCacheConformance(options: CacheConformanceOptions): void {
  rejectUnknownOptions(suiteName, options, [
    'name',
    'createNode',
    'propagationTimeout',
    'only',
    'skip',
  ])
  requireOption(suiteName, 'name', options.name, 'a non-empty string')
  requireOption(suiteName, 'createNode', options.createNode, 'a function')
  const timeout = options.propagationTimeout ?? 5_000
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `${suiteName}: option "propagationTimeout" must be a positive number of ms.`,
    )
  }
  const groups = selectGroups(suiteName, cacheGroups, options.only, options.skip)
  // A test waits on propagation several times; its own deadline must not cut those waits short.
  describe(`cache conformance: ${options.name}`, { timeout: 6 * timeout + 10_000 }, () => {
    const fixture = useCacheNodes(options.createNode, timeout)
    if (groups.has('invalidation')) invalidationCases(fixture)
    if (groups.has('ownFrames')) ownFrameCases(fixture)
    if (groups.has('race')) raceCases(fixture)
    if (groups.has('recovery')) recoveryCases(fixture)
    if (groups.has('isolation')) isolationCases(fixture)
    if (groups.has('protocol')) protocolCases()
    if (groups.has('features')) featureCases(fixture)
  })
}
