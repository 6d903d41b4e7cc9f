import type { TransportListener, TransportStatus } from '@cacheplane/core'
import { vi } from 'vitest'

/** A transport listener that records what it hears. */
export interface Recorder {
  readonly frames: Uint8Array[]
  readonly statuses: TransportStatus[]
  readonly listener: TransportListener
  /** The first byte of every frame, in arrival order (tests number their frames). */
  numbers(): number[]
}

export function recorder(): Recorder {
  const frames: Uint8Array[] = []
  const statuses: TransportStatus[] = []
  return {
    frames,
    statuses,
    listener: {
      onFrame: (frame) => {
        frames.push(frame)
      },
      onStatus: (status) => {
        statuses.push(status)
      },
    },
    numbers: () => frames.map((frame) => frame[0] ?? -1),
  }
}

/** A frame of two bytes, `[number % 256, number >> 8]`, so up to 65,535 frames stay distinct. */
export function numbered(number: number): Uint8Array {
  return Uint8Array.of(number & 0xff, number >> 8)
}

/** The number back from a frame made by {@link numbered}. */
export function numberOf(frame: Uint8Array): number {
  return (frame[0] ?? 0) | ((frame[1] ?? 0) << 8)
}

/** Polls `check` until it passes, for up to 5 s: arrival is awaited, never slept on. */
export function eventually(check: () => void): Promise<void> {
  return vi.waitFor(check, { timeout: 5_000, interval: 5 })
}
