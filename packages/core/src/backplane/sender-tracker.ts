/** What a frame's sequence number says about the frames before it. */
export type SequenceVerdict =
  | { readonly kind: 'next' }
  /** `missed` is unknown when the first frame we hear from a sender is not its first. */
  | { readonly kind: 'gap'; readonly missed: number | undefined }
  | { readonly kind: 'late' }

interface SenderState {
  epoch: number
  lastSequence: number
  lastSeenAt: number
}

/**
 * Follows every other sender's epoch and sequence numbers to notice lost frames.
 * Bounded: senders silent for longer than `forgetAfter` are forgotten, and at
 * most `maxSenders` are kept (a hostile publisher cannot grow it without bound).
 */
export class SenderTracker {
  private readonly senders = new Map<string, SenderState>()

  constructor(
    private readonly forgetAfter: number,
    private readonly maxSenders = 10_000,
  ) {}

  observe(senderId: string, epoch: number, sequence: number, now: number): SequenceVerdict {
    const state = this.senders.get(senderId)
    if (state === undefined || state.epoch !== epoch) {
      // A sender we have not heard from (or that restarted). If this is not its
      // first frame, we cannot tell whether the ones before were meant for us
      // (sent while we listened) or not: assume the worst. It costs a joining
      // instance a few misses on a young L1, and never serves a stale value.
      this.remember(senderId, { epoch, lastSequence: sequence, lastSeenAt: now })
      return sequence === 1 ? { kind: 'next' } : { kind: 'gap', missed: undefined }
    }
    state.lastSeenAt = now
    if (sequence === state.lastSequence + 1) {
      state.lastSequence = sequence
      return { kind: 'next' }
    }
    if (sequence <= state.lastSequence) return { kind: 'late' }
    const missed = sequence - state.lastSequence - 1
    state.lastSequence = sequence
    return { kind: 'gap', missed }
  }

  /** Forgets senders not heard from for `forgetAfter` ms. */
  prune(now: number): void {
    for (const [senderId, state] of this.senders) {
      if (now - state.lastSeenAt > this.forgetAfter) this.senders.delete(senderId)
    }
  }

  /** How many known senders have not been heard from for longer than `timeout`. */
  countSilent(now: number, timeout: number): number {
    let silent = 0
    for (const state of this.senders.values()) if (now - state.lastSeenAt > timeout) silent++
    return silent
  }

  /** When the longest-silent sender crossed `timeout`, or `undefined` when none is silent. */
  silentSince(now: number, timeout: number): number | undefined {
    let earliest: number | undefined
    for (const state of this.senders.values()) {
      if (
        now - state.lastSeenAt > timeout &&
        (earliest === undefined || state.lastSeenAt < earliest)
      ) {
        earliest = state.lastSeenAt
      }
    }
    return earliest === undefined ? undefined : earliest + timeout
  }

  /** Forgets everything: after a reconnect every sender's next frame starts afresh. */
  reset(): void {
    this.senders.clear()
  }

  get size(): number {
    return this.senders.size
  }

  private remember(senderId: string, state: SenderState): void {
    this.senders.delete(senderId)
    if (this.senders.size >= this.maxSenders) {
      const oldest = this.senders.keys().next()
      if (oldest.done !== true) this.senders.delete(oldest.value)
    }
    this.senders.set(senderId, state)
  }
}
