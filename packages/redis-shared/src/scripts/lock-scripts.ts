import { defineScript } from './lua-script.js'

/*
 * A lock is a string key holding its owner, with the lease as its TTL, so a
 * lock whose lease ran out is gone. KEYS[1] is the lock key (see `lockKeyOf`),
 * in the bucket of the entry it guards; the entry itself is never read.
 */

/**
 * Takes the lock for ARGV[1] with a lease of ARGV[2] ms when it is free, or
 * renews the lease when ARGV[1] holds it. Returns 1 when ARGV[1] holds it, else 0.
 */
export const acquireLockScript = defineScript(
  'acquireLock',
  `
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
)

/** Deletes the lock when ARGV[1] holds it (compare-and-delete). Returns 1 when it did, else 0. */
export const releaseLockScript = defineScript(
  'releaseLock',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`,
)
