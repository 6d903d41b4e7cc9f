import type { CacheHandle } from '@cacheplane/core'
import { describeHandleConformance } from '../../src/index.js'
import { mutant } from './mutant-handle.js'

// Handles whose locks have one known bug each; see handle-mutants.mutant.ts.

/** A handle's lock table, correct but for the bug named. */
type LockBug = 'release ignores owner' | 'no extension' | 'two steps' | 'colon'

function locksWith(bug: LockBug): Partial<CacheHandle> {
  const locks = new Map<string, { owner: string; until: number }>()
  const id = (key: string, region: string | undefined) =>
    bug === 'colon'
      ? region === undefined
        ? key
        : `${region}:${key}`
      : JSON.stringify([region ?? null, key])
  const held = (lockId: string) => {
    const lock = locks.get(lockId)
    return lock !== undefined && Date.now() < lock.until ? lock : undefined
  }
  return {
    async acquireLock(key, region, owner, leaseMs) {
      const lock = held(id(key, region))
      // A round trip between reading the lock and writing it.
      if (bug === 'two steps') await Promise.resolve()
      if (lock !== undefined && lock.owner !== owner) return false
      if (lock !== undefined && bug === 'no extension') return true
      locks.set(id(key, region), { owner, until: Date.now() + leaseMs })
      return true
    },
    async releaseLock(key, region, owner) {
      const lock = held(id(key, region))
      if (lock === undefined) return false
      if (lock.owner !== owner && bug !== 'release ignores owner') return false
      locks.delete(id(key, region))
      return true
    },
  }
}

describeHandleConformance({
  name: 'mutant H43: releaseLock ignores the owner',
  create: mutant(() => locksWith('release ignores owner')),
  only: ['locks'],
})

describeHandleConformance({
  name: 'mutant H44: re-acquiring does not extend the lease',
  create: mutant(() => locksWith('no extension')),
  only: ['locks'],
})

describeHandleConformance({
  name: 'mutant H45: acquireLock reads and writes the lock in two steps',
  create: mutant(() => locksWith('two steps')),
  only: ['locks'],
})

describeHandleConformance({
  name: 'mutant H46: region and key joined with a colon for locks',
  create: mutant(() => locksWith('colon')),
  only: ['locks'],
})
