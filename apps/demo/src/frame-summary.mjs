import { decodeFrame } from '@cacheplane/core'

/**
 * A decoded backplane frame in the plain shape the dashboard shows, or
 * `{ error }` when the bytes are not a frame this version of core can read.
 */
export function summarizeFrame(bytes) {
  try {
    const frame = decodeFrame(bytes)
    const operations = frame.operations.map(summarizeOperation)
    return {
      id: frameId(frame.senderId, frame.epoch, frame.sequence),
      sender: frame.senderId,
      epoch: frame.epoch,
      sequence: frame.sequence,
      bytes: bytes.length,
      operations,
      heartbeatOnly: operations.every((operation) => operation.kind === 'heartbeat'),
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), bytes: bytes.length }
  }
}

/** Names one frame: a sender's run (epoch) and its sequence number in that run. */
export function frameId(sender, epoch, sequence) {
  return `${sender}/${epoch}/${sequence}`
}

function summarizeOperation(operation) {
  switch (operation.kind) {
    case 'changed':
      return {
        kind: 'changed',
        region: operation.region ?? null,
        keys: [...operation.keys],
        versions: [...operation.versions],
      }
    case 'removed':
    case 'expired':
      return { kind: operation.kind, region: operation.region ?? null, keys: [...operation.keys] }
    case 'regionCleared':
      return { kind: 'regionCleared', regions: [...operation.regions] }
    case 'tagsInvalidated':
      return { kind: 'tagsInvalidated', tags: [...operation.tags] }
    default:
      return { kind: operation.kind }
  }
}
