// The catalog's "database": a JSON file that every instance reads and writes,
// slow on purpose so that a cache miss is visible (150 ms per load by default).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** The catalog's three kinds of record; each is a region of the one `catalog` cache. */
export const REGIONS = ['products', 'prices', 'stock']
export const PRODUCT_IDS = ['1', '2', '3', '4', '5', '6']

const seedFile = new URL('./catalog-seed.json', import.meta.url)

/**
 * Copies the seed catalog into a fresh temp dir, so that a demo run never
 * changes the repository. Returns the file and a function that removes the dir
 * (synchronous, so that it can run in an `exit` hook).
 */
export function createDatabaseFile() {
  const directory = mkdtempSync(join(tmpdir(), 'cacheplane-demo-'))
  const file = join(directory, 'catalog.json')
  writeFileSync(file, readFileSync(seedFile))
  return {
    file,
    remove: () => rmSync(directory, { recursive: true, force: true }),
  }
}

export class CatalogDatabase {
  /**
   * @param {string} file the JSON file made by `createDatabaseFile`
   * @param {{ loadLatencyMs?: number, writeLatencyMs?: number }} [options]
   */
  constructor(file, options = {}) {
    this.file = file
    this.loadLatencyMs = options.loadLatencyMs ?? 150
    this.writeLatencyMs = options.writeLatencyMs ?? 30
    this.loads = 0
    this.writes = 0
  }

  /** One record, after the load latency. */
  async load(region, id) {
    this.loads++
    await sleep(this.loadLatencyMs)
    const data = JSON.parse(await readFile(this.file, 'utf8'))
    return data[region]?.[id]
  }

  /**
   * Reads, changes and writes the whole file (write then rename, so that a
   * reader never sees half a file). Returns what `change` returns. Two
   * instances writing at the same moment may lose one update: good enough for
   * a demo database, and not what the demo is about.
   */
  async update(change) {
    this.writes++
    await sleep(this.writeLatencyMs)
    const data = JSON.parse(await readFile(this.file, 'utf8'))
    const result = change(data)
    const temporary = `${this.file}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(data, null, 2))
    await rename(temporary, this.file)
    return result
  }
}
