#!/usr/bin/env node
// Runs publint and @arethetypeswrong/cli over every published package, as part of the test run.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const packagesDir = join(root, 'packages')
let failed = 0

for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name)
  let manifest
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  } catch {
    continue
  }
  if (manifest.private) continue
  for (const [tool, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'esm-only', '--format', 'ascii']],
  ]) {
    const result = spawnSync(tool, args, {
      cwd: dir,
      stdio: 'pipe',
      encoding: 'utf8',
      shell: false,
    })
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim()
    if (result.status !== 0) {
      failed++
      console.error(`✗ ${tool} ${manifest.name}\n${output}`)
    } else {
      console.log(`✓ ${tool} ${manifest.name}`)
    }
  }
}
if (failed > 0) {
  console.error(`${failed} publish check(s) failed`)
  process.exit(1)
}
