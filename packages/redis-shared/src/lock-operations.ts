import { assertLease, assertLockOwner } from './arguments.js'
import type { RedisExecutor } from './executor.js'
import { runCall } from './run-items.js'
import { acquireLockScript, releaseLockScript } from './scripts/lock-scripts.js'

/** Takes or renews the lock at `lockKey` for `owner`; true when `owner` holds it afterwards. */
export async function acquireLock(
  executor: RedisExecutor,
  lockKey: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  assertLockOwner(owner, 'acquireLock')
  assertLease(leaseMs, 'acquireLock')
  return (await runCall(executor, acquireLockScript, [lockKey], [owner, `${leaseMs}`])) === 1
}

/** Deletes the lock at `lockKey` if `owner` holds it; true when it did. */
export async function releaseLock(
  executor: RedisExecutor,
  lockKey: string,
  owner: string,
): Promise<boolean> {
  assertLockOwner(owner, 'releaseLock')
  return (await runCall(executor, releaseLockScript, [lockKey], [owner])) === 1
}
