import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// The system of record that getOrSet factories load from, shared by every
// worker process: one small file per key holding the latest write counter.
// Writers update it before they write the cache (as an application updates
// its database, then the cache), so a factory never invents a value: after a
// Redis restart empties the L2, readers refill it with what the writer wrote.

/** @param {string} directory */
export function fileDatabase(directory) {
  const pathOf = (key) => join(directory, `${encodeURIComponent(key)}.counter`)
  return {
    /** @param {string} key @param {number} counter */
    write(key, counter) {
      const path = pathOf(key)
      const temporary = `${path}.${process.pid}.tmp`
      writeFileSync(temporary, String(counter))
      // A rename is atomic: a concurrent reader sees the old file or the new one.
      renameSync(temporary, path)
    },
    /** The latest counter, or 0 before the first write. @param {string} key */
    read(key) {
      try {
        return Number(readFileSync(pathOf(key), 'utf8'))
      } catch (error) {
        if (error?.code === 'ENOENT') return 0
        throw error
      }
    },
  }
}
