import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

interface AssertionResult {
  ancestorTitles: string[]
  title: string
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo'
}

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * The suites must fail an adapter with a known bug, on the clause that
 * names the bug: test/mutants/ holds one broken handle, transport or cache
 * setup per suite call, and each suite name lists the clauses it must fail.
 */
it('each suite fails the mutants on the clauses they break', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'cacheplane-mutants-'))
  const report = join(directory, 'report.json')
  try {
    await new Promise<void>((resolve) => {
      // Exit code 1 is expected: the mutants fail.
      execFile(
        process.execPath,
        [
          join(root, 'node_modules/vitest/vitest.mjs'),
          'run',
          '--config',
          'test/mutants/vitest.config.ts',
          '--reporter=json',
          `--outputFile=${report}`,
        ],
        { cwd: root, timeout: 60_000 },
        () => resolve(),
      )
    })
    const results = (
      JSON.parse(readFileSync(report, 'utf8')) as {
        testResults: { assertionResults: AssertionResult[] }[]
      }
    ).testResults.flatMap((file) => file.assertionResults)
    const suites = new Map<string, { failed: Set<string>; passed: Set<string> }>()
    for (const result of results) {
      const suite = result.ancestorTitles[0] ?? ''
      const clause = result.title.split(' ')[0] ?? ''
      const entry = suites.get(suite) ?? { failed: new Set(), passed: new Set() }
      suites.set(suite, entry)
      if (result.status === 'failed') entry.failed.add(clause)
      if (result.status === 'passed') entry.passed.add(clause)
    }
    expect(suites.size, 'every mutant suite ran').toBe(20)
    for (const [suite, { failed }] of suites) {
      const expected = [...suite.matchAll(/\b([HTC]\d+)\b/g)].map((match) => match[1]!)
      expect(expected.length, `${suite} names the clauses it must fail`).toBeGreaterThan(0)
      for (const clause of expected) {
        expect(failed.has(clause), `${suite}: the suite fails clause ${clause}`).toBe(true)
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}, 90_000)
