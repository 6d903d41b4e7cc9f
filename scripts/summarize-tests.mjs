#!/usr/bin/env node
// Sums the JSON reports that every package's vitest run leaves behind
// (`.vitest-results.json`) and prints one closing line for the whole run.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const clean = process.argv.includes('--clean')
let passed = 0
let failed = 0
let skipped = 0
const lines = []
const missing = []

function writesReport(dir) {
  const manifest = join(dir, 'package.json')
  if (!existsSync(manifest)) return false
  const test = JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test ?? ''
  return test.includes('.vitest-results.json')
}
for (const group of ['packages', 'apps', '.']) {
  const groupDir = join(root, group)
  if (!existsSync(groupDir)) continue
  for (const name of readdirSync(groupDir)) {
    if (group === '.' && !['reliability', 'benchmarks'].includes(name)) continue
    const report = join(groupDir, name, '.vitest-results.json')
    if (clean) {
      if (existsSync(report)) rmSync(report)
      continue
    }
    if (!existsSync(report)) {
      // A package whose test script writes a report and left none did not finish (or never ran).
      if (writesReport(join(groupDir, name)))
        missing.push(group === '.' ? name : `${group}/${name}`)
      continue
    }
    const results = JSON.parse(readFileSync(report, 'utf8'))
    passed += results.numPassedTests
    failed += results.numFailedTests
    skipped += results.numPendingTests + results.numTodoTests
    const label = group === '.' ? name : `${group}/${name}`
    lines.push(`  ${label}: ${results.numPassedTests} passed, ${results.numFailedTests} failed`)
  }
}
if (clean) process.exit(0)
console.log(`\n${lines.join('\n')}`)
for (const name of missing) console.log(`  ${name}: no test report (the run did not finish)`)
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || missing.length > 0 ? 1 : 0)
