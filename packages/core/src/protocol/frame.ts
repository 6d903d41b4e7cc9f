/** The protocol's major version: part of every frame's header and of the channel name. */
export const PROTOCOL_MAJOR = 1
/** The protocol's minor version: additions a v1 reader can ignore. */
export const PROTOCOL_MINOR = 0

/** One invalidation (or a heartbeat) in a frame. See PROTOCOL.md for the wire form. */
export type Operation =
  | {
      readonly kind: 'changed'
      readonly region: string | undefined
      readonly keys: readonly string[]
      /** The version each key was written with, in the order of `keys`. */
      readonly versions: readonly number[]
    }
  | {
      readonly kind: 'removed'
      readonly region: string | undefined
      readonly keys: readonly string[]
    }
  | {
      readonly kind: 'expired'
      readonly region: string | undefined
      readonly keys: readonly string[]
    }
  | { readonly kind: 'cleared' }
  | { readonly kind: 'regionCleared'; readonly regions: readonly string[] }
  | { readonly kind: 'tagsInvalidated'; readonly tags: readonly string[] }
  | { readonly kind: 'heartbeat' }

export type OperationKind = Operation['kind']

/** A decoded frame: who sent it, in which order, for which cache, and what changed. */
export interface Frame {
  /** The sender's instance id (any non-empty UTF-8 string up to 256 bytes). */
  readonly senderId: string
  /** Changes each time the sender starts; with `senderId` it names one run of one instance. */
  readonly epoch: number
  /** Per sender and epoch: 1 for the first frame, +1 for each next one. A gap means frames were lost. */
  readonly sequence: number
  readonly cacheName: string
  readonly operations: readonly Operation[]
}
