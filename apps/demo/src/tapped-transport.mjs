import { summarizeFrame } from './frame-summary.mjs'
import { monotonicMicros } from './timing.mjs'

/**
 * Wraps an instance's backplane transport to watch it, as a demo needs and an
 * application does not: it notes when each frame was published and received
 * (for the propagation times on the dashboard), and it can drop every frame
 * that arrives for a while (the "drop messages" fault). The cache cannot tell
 * it is wrapped: the same bytes pass through.
 */
export class TappedTransport {
  specificationVersion = 'v1'

  /**
   * @param {import('@cacheplane/core').BackplaneTransport} inner
   * @param {{ frameSent(summary: object, at: number): void, frameReceived(summary: object, at: number, dropped: boolean): void, frameDelivered(summary: object): void, status(status: object): void }} log
   */
  constructor(inner, log) {
    this.inner = inner
    this.kind = inner.kind
    this.log = log
    /** Frames arriving before this time (`Date.now()`) are dropped. */
    this.dropUntil = 0
    /** The frame being handed to the cache right now: cache events raised meanwhile came from it. */
    this.currentFrame = undefined
  }

  connect(channel, listener) {
    return this.inner.connect(channel, {
      onFrame: (bytes) => {
        const at = monotonicMicros()
        const summary = summarizeFrame(bytes)
        const dropped = Date.now() < this.dropUntil
        this.log.frameReceived(summary, at, dropped)
        if (dropped) return
        this.currentFrame = summary
        try {
          listener.onFrame(bytes)
        } finally {
          this.currentFrame = undefined
          this.log.frameDelivered(summary)
        }
      },
      onStatus: (status) => {
        this.log.status(status)
        listener.onStatus(status)
      },
    })
  }

  async publish(bytes) {
    const summary = summarizeFrame(bytes)
    this.log.frameSent(summary, monotonicMicros())
    return this.inner.publish(bytes)
  }

  close() {
    return this.inner.close()
  }

  /** Drops every frame that arrives in the next `milliseconds`, heartbeats and own frames included. */
  dropIncoming(milliseconds) {
    this.dropUntil = Math.max(this.dropUntil, Date.now() + milliseconds)
  }

  get dropping() {
    return Date.now() < this.dropUntil
  }
}
