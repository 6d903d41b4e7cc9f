import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cacheClauses, handleClauses, transportClauses } from '../src/index.js'
import config from '../vitest.config.js'

const root = new URL('../', import.meta.url)
const readme = readFileSync(new URL('README.md', root), 'utf8')

/** `<!-- example: path -->` followed by a fenced block: the block must be that file, verbatim. */
function examples(): { path: string; code: string }[] {
  const pattern = /<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g
  return [...readme.matchAll(pattern)].map((match) => ({ path: match[1]!, code: match[2]! }))
}

describe('README', () => {
  it('shows the example files verbatim, and the test run runs them', () => {
    const found = examples()
    expect(found.map((example) => example.path)).toEqual([
      'examples/conformance.test.ts',
      'examples/redis-server.test.ts',
    ])
    for (const { path, code } of found) {
      const file = readFileSync(new URL(path, root), 'utf8')
      expect(
        code,
        `README's block for ${path} differs from the file: copy the file into the README`,
      ).toBe(file)
    }
    // The example files are tests of this package: they pass or the run fails.
    expect(config.test?.include).toContain('examples/**/*.test.ts')
  })

  it('lists every clause with its id and text', () => {
    // Table rows, however the formatter pads them.
    const rows = new Map<string, string>()
    for (const match of readme.matchAll(/^\|\s*([HTC]\d+)\s*\|\s*(.*?)\s*\|$/gm))
      rows.set(match[1]!, match[2]!)
    const clauses = { ...handleClauses, ...transportClauses, ...cacheClauses }
    expect(Object.fromEntries(rows), 'README clause tables match src/suites/clauses.ts').toEqual(
      clauses,
    )
  })

  it('names every suite and server function', () => {
    for (const name of [
      'describeHandleConformance',
      'describeTransportConformance',
      'describeCacheConformance',
      'startRedis',
      'startRedisCluster',
    ]) {
      expect(readme).toContain(`\`${name}`)
    }
  })
})
