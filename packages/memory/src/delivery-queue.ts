/** Extra wait for a held-back frame when no later frame from its sender comes to overtake it. */
const HOLD_MARGIN = 10

interface Link {
  /** Frames in order, each with the time it is due; due times never decrease. */
  readonly queue: { frame: Uint8Array; due: number }[]
  lastDue: number
  timer: ReturnType<typeof setTimeout> | undefined
  immediate: ReturnType<typeof setImmediate> | undefined
  /** Frames held back (reordered) until the next frame of this sender is queued. */
  held: Uint8Array[]
  holdTimer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The frames on their way to one receiving transport, one FIFO link per
 * sender, so that delays never reorder a sender's frames by accident. Frames
 * are always handed over from a timer (never synchronously), and a drain hands
 * over only what was due when it started, so a listener that publishes from
 * `onFrame` cannot starve the event loop. @internal
 */
export class DeliveryQueue {
  readonly #links = new Map<object, Link>()
  readonly #deliver: (frame: Uint8Array) => void
  readonly #holdTime: number
  /** Bumped by `discard`, so that a drain interrupted by it stops. */
  #epoch = 0

  constructor(deliver: (frame: Uint8Array) => void, delayMax: number) {
    this.#deliver = deliver
    this.#holdTime = delayMax + HOLD_MARGIN
  }

  /** Frames queued or held, not yet delivered. */
  get pending(): number {
    let count = 0
    for (const link of this.#links.values()) count += link.queue.length + link.held.length
    return count
  }

  /** Queues a frame due `delay` ms from now, after every earlier frame of `sender`. */
  enqueue(sender: object, frame: Uint8Array, delay: number): void {
    const link = this.#link(sender)
    const due = Math.max(Date.now() + delay, link.lastDue)
    link.queue.push({ frame, due })
    link.lastDue = due
    // Held-back frames go right behind the frame that overtook them.
    if (link.held.length > 0) {
      for (const held of link.held) link.queue.push({ frame: held, due })
      link.held = []
      clearTimeout(link.holdTimer)
      link.holdTimer = undefined
    }
    this.#arm(sender, link)
  }

  /** Holds a frame back until the next frame of `sender` has been queued. */
  hold(sender: object, frame: Uint8Array): void {
    const link = this.#link(sender)
    link.held.push(frame)
    link.holdTimer ??= setTimeout(() => this.#release(sender, link), this.#holdTime)
  }

  /** Drops everything on its way and cancels every timer. Returns how many frames were dropped. */
  discard(): number {
    const dropped = this.pending
    for (const link of this.#links.values()) {
      clearTimeout(link.timer)
      clearImmediate(link.immediate)
      clearTimeout(link.holdTimer)
    }
    this.#links.clear()
    this.#epoch++
    return dropped
  }

  #link(sender: object): Link {
    let link = this.#links.get(sender)
    if (link === undefined) {
      link = {
        queue: [],
        lastDue: 0,
        timer: undefined,
        immediate: undefined,
        held: [],
        holdTimer: undefined,
      }
      this.#links.set(sender, link)
    }
    return link
  }

  #arm(sender: object, link: Link): void {
    if (link.timer !== undefined || link.immediate !== undefined) return
    const head = link.queue[0]
    if (head === undefined) return
    const wait = head.due - Date.now()
    if (wait > 0) {
      link.timer = setTimeout(() => this.#drain(sender, link), wait)
    } else {
      link.immediate = setImmediate(() => this.#drain(sender, link))
    }
  }

  #drain(sender: object, link: Link): void {
    link.timer = undefined
    link.immediate = undefined
    const epoch = this.#epoch
    const now = Date.now()
    let count = link.queue.length
    while (count-- > 0) {
      const head = link.queue[0]
      if (head === undefined || head.due > now) break
      link.queue.shift()
      this.#deliver(head.frame)
      if (this.#epoch !== epoch) return
    }
    if (link.queue.length > 0) this.#arm(sender, link)
    else if (link.held.length === 0) this.#links.delete(sender)
  }

  #release(sender: object, link: Link): void {
    link.holdTimer = undefined
    const due = Math.max(Date.now(), link.lastDue)
    for (const held of link.held) link.queue.push({ frame: held, due })
    link.held = []
    link.lastDue = due
    // Already in a timer callback: hand over now rather than one more turn later.
    if (link.timer === undefined && link.immediate === undefined) this.#drain(sender, link)
  }
}
