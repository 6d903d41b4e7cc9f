import { describe, expect, it } from 'vitest'
import type { Operation } from '../protocol/frame.js'
import { splitOperations } from './frame-splitter.js'

/** A stand-in size: 10 bytes of header plus the characters of every key. */
const measure = (operations: readonly Operation[]) =>
  10 +
  operations.reduce(
    (sum, operation) => sum + ('keys' in operation ? operation.keys.join('').length : 1),
    0,
  )

describe('splitOperations', () => {
  it('keeps a batch that fits whole', () => {
    const operations: Operation[] = [{ kind: 'removed', region: undefined, keys: ['aa', 'bb'] }]
    expect(splitOperations(operations, 100, measure, () => {})).toEqual([operations])
  })

  it('splits batches and big operations until every group fits, losing nothing', () => {
    const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`)
    const operations: Operation[] = [
      { kind: 'changed', region: 'r', keys, versions: keys.map((_, index) => index + 1) },
      { kind: 'removed', region: undefined, keys: ['x', 'y'] },
    ]
    const groups = splitOperations(operations, 60, measure, () => {})
    expect(groups.length).toBeGreaterThan(2)
    for (const group of groups) expect(measure(group)).toBeLessThanOrEqual(60)
    const changed = groups.flat().filter((operation) => operation.kind === 'changed')
    expect(changed.flatMap((operation) => operation.keys)).toEqual(keys)
    expect(changed.flatMap((operation) => operation.versions)).toEqual(
      keys.map((_, index) => index + 1),
    )
  })

  it('replaces one operation that cannot fit with cleared, and says so', () => {
    const oversized: string[] = []
    const groups = splitOperations(
      [{ kind: 'removed', region: undefined, keys: ['x'.repeat(500)] }],
      100,
      measure,
      (operation) => oversized.push(operation.kind),
    )
    expect(groups).toEqual([[{ kind: 'cleared' }]])
    expect(oversized).toEqual(['removed'])
  })
})
