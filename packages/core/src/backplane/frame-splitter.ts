import type { Operation } from '../protocol/frame.js'

/**
 * Groups operations so that each group encodes to at most `maxBytes`, halving
 * batches (and operations with many keys) that are too big. `measure` must
 * return the encoded size of a frame holding the operations, with a header no
 * smaller than the real one. An operation that cannot be split and is still
 * too big is reported through `onOversized` and replaced by `cleared`, which
 * covers it.
 */
export function splitOperations(
  operations: readonly Operation[],
  maxBytes: number,
  measure: (operations: readonly Operation[]) => number,
  onOversized: (operation: Operation, bytes: number) => void,
): Operation[][] {
  const size = measure(operations)
  if (size <= maxBytes) return [[...operations]]
  if (operations.length > 1) {
    const half = Math.ceil(operations.length / 2)
    return [
      ...splitOperations(operations.slice(0, half), maxBytes, measure, onOversized),
      ...splitOperations(operations.slice(half), maxBytes, measure, onOversized),
    ]
  }
  const operation = operations[0]!
  const halves = halveOperation(operation)
  if (halves === undefined) {
    onOversized(operation, size)
    return [[{ kind: 'cleared' }]]
  }
  return [
    ...splitOperations([halves[0]], maxBytes, measure, onOversized),
    ...splitOperations([halves[1]], maxBytes, measure, onOversized),
  ]
}

function halves<T>(items: readonly T[]): [T[], T[]] {
  const half = Math.ceil(items.length / 2)
  return [items.slice(0, half), items.slice(half)]
}

/** Splits an operation with several keys, regions or tags in two; `undefined` when it has one. */
function halveOperation(operation: Operation): [Operation, Operation] | undefined {
  switch (operation.kind) {
    case 'changed': {
      if (operation.keys.length < 2) return undefined
      const [keysA, keysB] = halves(operation.keys)
      const [versionsA, versionsB] = halves(operation.versions)
      return [
        { ...operation, keys: keysA, versions: versionsA },
        { ...operation, keys: keysB, versions: versionsB },
      ]
    }
    case 'removed':
    case 'expired': {
      if (operation.keys.length < 2) return undefined
      const [keysA, keysB] = halves(operation.keys)
      return [
        { ...operation, keys: keysA },
        { ...operation, keys: keysB },
      ]
    }
    case 'regionCleared': {
      if (operation.regions.length < 2) return undefined
      const [regionsA, regionsB] = halves(operation.regions)
      return [
        { kind: 'regionCleared', regions: regionsA },
        { kind: 'regionCleared', regions: regionsB },
      ]
    }
    case 'tagsInvalidated': {
      if (operation.tags.length < 2) return undefined
      const [tagsA, tagsB] = halves(operation.tags)
      return [
        { kind: 'tagsInvalidated', tags: tagsA },
        { kind: 'tagsInvalidated', tags: tagsB },
      ]
    }
    default:
      return undefined
  }
}
