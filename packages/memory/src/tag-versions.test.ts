import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { TagVersions } from './tag-versions.js'

describe('TagVersions', () => {
  it('reports 0 for tags never invalidated, in the order asked', () => {
    const tags = new TagVersions()
    expect(tags.versionsOf(['a', 'b', 'a'])).toEqual([0, 0, 0])
    expect(tags.versionsOf([])).toEqual([])
  })

  it('gives each invalidation one version above every version handed out before', () => {
    const tags = new TagVersions()
    expect(tags.invalidate(['a'])).toBe(1)
    expect(tags.invalidate(['a'])).toBe(2)
    // A per-tag counter would give b version 1 here, below a's.
    expect(tags.invalidate(['b', 'c'])).toBe(3)
    expect(tags.versionsOf(['a', 'b', 'c', 'd'])).toEqual([2, 3, 3, 0])
  })

  it('keeps tags that only look alike apart', () => {
    const tags = new TagVersions()
    const names = ['a:b', 'a', 'b', '{a}', '{a}b', 'e\u0301', '\u00e9']
    const versions = names.map((name) => tags.invalidate([name]))
    expect(tags.versionsOf(names)).toEqual(versions)
  })

  it('forgets the tags but keeps counting after forget', () => {
    const tags = new TagVersions()
    tags.invalidate(['a'])
    tags.forget()
    expect(tags.versionsOf(['a'])).toEqual([0])
    expect(tags.invalidate(['b'])).toBe(2)
  })

  it('rejects tags that are not an array of non-empty strings, naming what was wrong', () => {
    const tags = new TagVersions()
    const attempts: [() => unknown, RegExp][] = [
      [() => tags.versionsOf('a' as never), /got "a", expected an array of non-empty strings/],
      [
        () => tags.invalidate(['a', 3] as never),
        /tag at index 1 is number 3, expected a non-empty/,
      ],
      [() => tags.invalidate(['']), /tag at index 0 is "", expected a non-empty string/],
    ]
    for (const [attempt, message] of attempts) {
      let failure: unknown
      try {
        attempt()
      } catch (error) {
        failure = error
      }
      expect(CacheplaneError.hasCode(failure, 'E_INVALID_KEY'), String(failure)).toBe(true)
      expect((failure as Error).message).toMatch(message)
    }
    // A refused invalidation hands out no version.
    expect(tags.invalidate(['a'])).toBe(1)
  })
})
