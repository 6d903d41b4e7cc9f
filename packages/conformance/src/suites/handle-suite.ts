import { describe } from 'vitest'
import { type HandleGroup, handleGroups } from './clauses.js'
import { batchCases, casCases, concurrencyCases } from './handle-atomic-cases.js'
import { basicCases, contractCases, versionCases } from './handle-basic-cases.js'
import { keyCases, regionCases, valueCases } from './handle-data-cases.js'
import {
  type HandleFixture,
  type HandleInspector,
  type HandleUnderTest,
  useHandle,
} from './handle-fixture.js'
import { lockCases } from './handle-lock-cases.js'
import { tagCases } from './handle-tag-cases.js'
import { ttlCases } from './handle-ttl-cases.js'
import { rejectUnknownOptions, requireOption, selectGroups } from './suite-options.js'

export interface HandleConformanceOptions {
  /** Names the suite in test output, such as `'redis (ioredis)'`. */
  name: string
  /**
   * Returns a fresh handle each time, not attached: the suite attaches it to
   * a cache name no other test uses, so handles on one shared store stay apart.
   */
  create: () => HandleUnderTest | Promise<HandleUnderTest>
  /** Reads physical TTLs from the store (clause H19, and part of H17). @default none: H19 is skipped */
  inspect?: HandleInspector
  /** Run only these groups. @default every group */
  only?: readonly HandleGroup[]
  /** Leave these groups out. @default [] */
  skip?: readonly HandleGroup[]
}

const suiteName = 'describeHandleConformance'
const cases: Record<HandleGroup, (fixture: HandleFixture) => void> = {
  contract: contractCases,
  basic: basicCases,
  versions: versionCases,
  ttl: ttlCases,
  regions: regionCases,
  keys: keyCases,
  values: valueCases,
  concurrency: concurrencyCases,
  cas: casCases,
  batch: batchCases,
  tags: tagCases,
  locks: lockCases,
}

/**
 * Registers the handle contract's tests (clauses H1-H46) in the calling
 * vitest file. Tests of what `capabilities` says the handle cannot do (`cas`,
 * `batch`, `tags`, `locks`) are skipped, with the reason.
 *
 * @example
 * describeHandleConformance({
 *   name: 'my-store',
 *   create: () => ({ handle: myStoreHandle({ client }), dispose: () => {} }),
 * })
 */
export function describeHandleConformance(options: HandleConformanceOptions): void {
  rejectUnknownOptions(suiteName, options, ['name', 'create', 'inspect', 'only', 'skip'])
  requireOption(suiteName, 'name', options.name, 'a non-empty string')
  requireOption(suiteName, 'create', options.create, 'a function')
  if (options.inspect !== undefined)
    requireOption(suiteName, 'inspect.ttl', options.inspect.ttl, 'a function')
  const groups = selectGroups(suiteName, handleGroups, options.only, options.skip)
  // Timing clauses scale with the TTL precision: a seconds-precision store needs seconds-long tests.
  describe(`handle conformance: ${options.name}`, { timeout: 60_000 }, () => {
    const fixture = useHandle(options.create, options.inspect)
    for (const group of handleGroups) if (groups.has(group)) cases[group](fixture)
  })
}
