/**
 * The conformance suites of cacheplane's contracts. Import them into a vitest
 * file of your adapter; see the package README. Redis test servers are at
 * `@cacheplane/conformance/redis`.
 */
export { type PollOptions, pollUntil } from './poll.js'
export type {
  CacheNode,
  CacheNodeContext,
  CacheNodeFaults,
} from './suites/cache-fixture.js'
export { type CacheConformanceOptions, describeCacheConformance } from './suites/cache-suite.js'
export {
  type CacheClause,
  type CacheGroup,
  cacheClauses,
  cacheGroups,
  type HandleClause,
  type HandleGroup,
  handleClauses,
  handleGroups,
  type TransportClause,
  type TransportGroup,
  transportClauses,
  transportGroups,
} from './suites/clauses.js'
export type { HandleInspector, HandleUnderTest } from './suites/handle-fixture.js'
export { describeHandleConformance, type HandleConformanceOptions } from './suites/handle-suite.js'
export type { TransportFaults, TransportUnderTest } from './suites/transport-fixture.js'
export {
  describeTransportConformance,
  type TransportConformanceOptions,
} from './suites/transport-suite.js'
