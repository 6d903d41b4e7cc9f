import { CacheplaneError } from '@cacheplane/core'
import { describe } from 'vitest'
import { type TransportGroup, transportGroups } from './clauses.js'
import { rejectUnknownOptions, requireOption, selectGroups } from './suite-options.js'
import { bytesCases, contractCases, deliveryCases, orderCases } from './transport-delivery-cases.js'
import { closeCases, faultCases } from './transport-fault-cases.js'
import {
  type TransportFaults,
  type TransportUnderTest,
  useTransports,
} from './transport-fixture.js'

export interface TransportConformanceOptions {
  /** Names the suite in test output, such as `'redis pub/sub (ioredis)'`. */
  name: string
  /**
   * Returns a fresh transport each time, not connected, on the same bus
   * (Redis server) as the ones before it; the suite picks a channel per test.
   */
  create: () => TransportUnderTest | Promise<TransportUnderTest>
  /** Cuts and restores a transport's connection. @default none: the fault clauses are skipped */
  faults?: TransportFaults
  /** The largest frame the transport must carry, in bytes. @default 1048576 (core's maxIncomingFrameBytes) */
  maxFrameBytes?: number
  /** How long a frame may take to arrive, in ms. @default 5000 */
  deliveryTimeout?: number
  /** Run only these groups. @default every group */
  only?: readonly TransportGroup[]
  /** Leave these groups out. @default [] */
  skip?: readonly TransportGroup[]
}

const suiteName = 'describeTransportConformance'

/**
 * Registers the transport contract's tests (clauses T1-T11) in the calling
 * vitest file. Without `faults`, the fault clauses are skipped with the reason.
 *
 * @example
 * const bus = createMemoryBus()
 * describeTransportConformance({
 *   name: 'memory',
 *   create: () => ({ transport: memoryTransport({ bus }) }),
 *   faults: { cut: (transport) => transport.disconnect(), restore: (transport) => transport.reconnect() },
 * })
 */
export function describeTransportConformance(options: TransportConformanceOptions): void {
  rejectUnknownOptions(suiteName, options, [
    'name',
    'create',
    'faults',
    'maxFrameBytes',
    'deliveryTimeout',
    'only',
    'skip',
  ])
  requireOption(suiteName, 'name', options.name, 'a non-empty string')
  requireOption(suiteName, 'create', options.create, 'a function')
  if (options.faults !== undefined) {
    requireOption(suiteName, 'faults.cut', options.faults.cut, 'a function')
    requireOption(suiteName, 'faults.restore', options.faults.restore, 'a function')
  }
  const maxFrameBytes = positive(options.maxFrameBytes, 'maxFrameBytes', 1_048_576)
  const deliveryTimeout = positive(options.deliveryTimeout, 'deliveryTimeout', 5_000)
  const groups = selectGroups(suiteName, transportGroups, options.only, options.skip)
  describe(`transport conformance: ${options.name}`, {
    timeout: 4 * deliveryTimeout + 10_000,
  }, () => {
    const fixture = useTransports(options.create, deliveryTimeout)
    if (groups.has('contract')) contractCases(fixture)
    if (groups.has('delivery')) deliveryCases(fixture)
    if (groups.has('bytes')) bytesCases(fixture, maxFrameBytes)
    if (groups.has('order')) orderCases(fixture)
    if (groups.has('faults')) faultCases(fixture, options.faults)
    if (groups.has('close')) closeCases(fixture)
  })
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  throw new CacheplaneError(
    'E_INVALID_OPTION',
    `${suiteName}: option "${name}" must be a positive integer.`,
  )
}
