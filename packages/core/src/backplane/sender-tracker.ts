/** What a frame's sequence number says about the frames before it. */
export type SequenceVerdict =
  | { readonly kind: 'next' }
  | { readonly kind: 'gap'; readonly missed: number }
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
      // A sender we have not heard from (or that restarted): its past frames
      // were sent before we could expect them. Our own heartbeats cover the
      // case where we were the ones not listening.
      this.remember(senderId, { epoch, lastSequence: sequence, lastSeenAt: now })
      return { kind: 'next' }
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
