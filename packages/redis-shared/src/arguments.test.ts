import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { assertLease, assertLockOwner, assertTags } from './arguments.js'

function invalid(check: () => void, fragment: string): void {
  let caught: unknown
  try {
    check()
  } catch (error) {
    caught = error
  }
  expect(CacheplaneError.hasCode(caught, 'E_INVALID_OPTION'), fragment).toBe(true)
  expect((caught as Error).message).toContain(fragment)
}

describe('arguments of tag and lock operations', () => {
  it('accepts arrays of non-empty, well-formed strings as tags', () => {
    expect(() => assertTags([], 'tagVersions')).not.toThrow()
    expect(() => assertTags(['a', 'ü', '😀', ' '], 'tagVersions')).not.toThrow()
  })

  it('rejects other tags, naming the operation, the tag and what was expected', () => {
    invalid(() => assertTags('a', 'invalidateTags'), 'Invalid tags of invalidateTags: got "a"')
    invalid(() => assertTags(undefined, 'tagVersions'), 'expected an array of non-empty')
    invalid(() => assertTags(['a', ''], 'tagVersions'), 'tag at index 1 of tagVersions: got ""')
    invalid(() => assertTags([1], 'tagVersions'), 'got number 1')
    invalid(() => assertTags(['\uD800'], 'tagVersions'), 'without lone surrogates')
  })

  it('rejects an owner that is not a non-empty, well-formed string', () => {
    expect(() => assertLockOwner('instance-1', 'acquireLock')).not.toThrow()
    invalid(() => assertLockOwner('', 'acquireLock'), 'Invalid owner of acquireLock: got ""')
    invalid(() => assertLockOwner(7, 'releaseLock'), 'owner of releaseLock: got number 7')
    invalid(() => assertLockOwner('\uDC00x', 'acquireLock'), 'without lone surrogates')
  })

  it('rejects a lease that is not a positive whole number of ms', () => {
    expect(() => assertLease(1, 'acquireLock')).not.toThrow()
    for (const lease of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      invalid(() => assertLease(lease, 'acquireLock'), 'expected a positive whole number of ms')
    }
  })
})
