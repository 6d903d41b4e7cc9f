// Installed versions of the packages RESULTS.md names, read from their package.json.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const notes = {
  'layered-loader':
    'newest whose engines admit Node 20 (14.5.3 and 16.x say Node >= 22); it brings its own ioredis 5',
  bentocache: 'declares ioredis ^5 as a peer; runs here on ioredis 6.0.0',
  keyv: 'the 5.x that cache-manager 7 and cacheable 2 depend on (keyv 6 needs Node >= 22.19)',
  'cbor-x': 'with cbor-extract 2.2.2 (native)',
}

/** Candidate entry files of `name`: from this package, then from the workspace packages (their own dependencies). */
function entries(name) {
  const found = []
  try {
    found.push(fileURLToPath(import.meta.resolve(name)))
  } catch {}
  for (const owner of ['@cacheplane/core', '@cacheplane/memory']) {
    try {
      const require = createRequire(fileURLToPath(import.meta.resolve(owner)))
      found.push(require.resolve(name))
    } catch {}
  }
  return found
}

/** The version of `name` as installed, or 'not installed'. */
export function packageVersion(name) {
  for (const entry of entries(name)) {
    let directory = dirname(entry)
    for (let depth = 0; depth < 8; depth++) {
      const file = join(directory, 'package.json')
      if (existsSync(file)) {
        const manifest = JSON.parse(readFileSync(file, 'utf8'))
        if (manifest.name === name) return manifest.version
      }
      directory = dirname(directory)
    }
  }
  return 'not installed'
}

/** A markdown table of package versions, with a note where the choice needs one. */
export function versionTable(names) {
  return [
    '| package | version | note |',
    '|---|---|---|',
    ...names.map((name) => `| ${name} | ${packageVersion(name)} | ${notes[name] ?? ''} |`),
  ].join('\n')
}
