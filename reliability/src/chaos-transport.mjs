// A BackplaneTransport that wraps a real one and mistreats the frames this
// instance receives: some are lost, some arrive twice, some are held back until
// a later frame has overtaken them. Faults are decided per receiver, as on a
// real network where each subscriber loses its own frames.

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
export function seededRandom(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * @param {import('@cacheplane/core').BackplaneTransport} inner
 * @param {{ seed?: number }} [options]
 */
export function chaosTransport(inner, options = {}) {
  const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32))
  // Rates can change while running: the long run turns chaos on and off.
  let rates = { dropRate: 0, duplicateRate: 0, reorderRate: 0 }
  const counters = { received: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0 }
  /** Frames held back, with the timer that releases them if no later frame comes. */
  const held = new Map()
  let closed = false

  function release(frame, listener) {
    const timer = held.get(frame)
    if (timer === undefined) return
    clearTimeout(timer)
    held.delete(frame)
    deliver(frame, listener)
  }

  function deliver(frame, listener) {
    if (closed) return
    counters.delivered++
    listener.onFrame(frame)
  }

  return {
    specificationVersion: 'v1',
    kind: `chaos(${inner.kind})`,
    counters,
    setRates(next) {
      rates = { dropRate: 0, duplicateRate: 0, reorderRate: 0, ...next }
    },
    connect(channel, listener) {
      return inner.connect(channel, {
        onStatus: (status) => listener.onStatus(status),
        onFrame: (frame) => {
          counters.received++
          const overtaken = [...held.keys()]
          const roll = random()
          if (roll < rates.dropRate) {
            counters.dropped++
          } else if (roll < rates.dropRate + rates.reorderRate) {
            counters.reordered++
            // Nothing may follow for a while: release it late rather than never.
            const timer = setTimeout(() => release(frame, listener), 50)
            held.set(frame, timer)
          } else {
            deliver(frame, listener)
            if (roll < rates.dropRate + rates.reorderRate + rates.duplicateRate) {
              counters.duplicated++
              setImmediate(() => deliver(frame, listener))
            }
          }
          // Frames held back arrive after the one that overtook them.
          for (const waiting of overtaken) release(waiting, listener)
        },
      })
    },
    publish: (frame) => inner.publish(frame),
    async close() {
      closed = true
      for (const timer of held.values()) clearTimeout(timer)
      held.clear()
      await inner.close()
    },
  }
}
