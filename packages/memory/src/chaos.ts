import { type Duration, parseDuration } from '@cacheplane/core'
import { invalidOption, optionsObject, rate, rejectUnknownOptions } from './option-checks.js'

/**
 * Faults a memory transport applies to the frames it receives, each decided
 * per frame by a seeded generator, so that a failing test can be replayed.
 */
export interface ChaosOptions {
  /** Share of received frames that are lost. @default 0 */
  dropRate?: number
  /** Share of received frames that arrive twice. @default 0 */
  duplicateRate?: number
  /**
   * Share of received frames held back until the next frame from the same
   * sender has overtaken them (or, if none follows, until `delay.max` + 10 ms).
   * @default 0
   */
  reorderRate?: number
  /**
   * Latency of each received frame, drawn evenly from `min` to `max`.
   * Per-sender order is kept (a frame waits for the ones before it) unless
   * `reorderRate` says otherwise.
   * @default { min: 0, max: 0 } (delivered on the next turn of the event loop)
   */
  delay?: { min?: Duration; max?: Duration }
  /**
   * Seed of the generator. Read the one in use from `transport.chaosSeed` to
   * replay a failure.
   * @default a random seed
   */
  seed?: number
}

/** @internal */
export interface ResolvedChaos {
  readonly dropRate: number
  readonly duplicateRate: number
  readonly reorderRate: number
  readonly delayMin: number
  readonly delayMax: number
  readonly seed: number
}

const chaosOptionNames = ['dropRate', 'duplicateRate', 'reorderRate', 'delay', 'seed'] as const
const delayOptionNames = ['min', 'max'] as const

/** Validates chaos options; `undefined` means no chaos. @internal */
export function resolveChaos(options: unknown): ResolvedChaos | undefined {
  if (options === undefined) return undefined
  const given = optionsObject(options, 'chaos')
  rejectUnknownOptions(given, chaosOptionNames, 'chaos.')
  const delay = optionsObject(given.delay, 'chaos.delay')
  rejectUnknownOptions(delay, delayOptionNames, 'chaos.delay.')
  const delayMin = delay.min === undefined ? 0 : parseDuration(delay.min, 'chaos.delay.min')
  const delayMax = delay.max === undefined ? delayMin : parseDuration(delay.max, 'chaos.delay.max')
  if (delayMax < delayMin) {
    invalidOption('chaos.delay.max', delay.max, `at least chaos.delay.min (${delayMin}ms)`)
  }
  const seed = given.seed ?? Math.floor(Math.random() * 2 ** 32)
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    invalidOption('chaos.seed', seed, 'an integer')
  }
  return {
    dropRate: given.dropRate === undefined ? 0 : rate(given.dropRate, 'chaos.dropRate'),
    duplicateRate:
      given.duplicateRate === undefined ? 0 : rate(given.duplicateRate, 'chaos.duplicateRate'),
    reorderRate: given.reorderRate === undefined ? 0 : rate(given.reorderRate, 'chaos.reorderRate'),
    delayMin,
    delayMax,
    seed,
  }
}

/**
 * A small seeded generator of numbers in [0, 1) (mulberry32): fast, with a
 * 2^32 period, plenty for deciding the fate of test frames.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), state | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Decides, frame by frame, what the chaos options do to it. @internal */
export class Chaos {
  readonly #options: ResolvedChaos
  readonly #random: () => number

  constructor(options: ResolvedChaos) {
    this.#options = options
    this.#random = seededRandom(options.seed)
  }

  get delayMax(): number {
    return this.#options.delayMax
  }

  drops(): boolean {
    return this.#options.dropRate > 0 && this.#random() < this.#options.dropRate
  }

  duplicates(): boolean {
    return this.#options.duplicateRate > 0 && this.#random() < this.#options.duplicateRate
  }

  reorders(): boolean {
    return this.#options.reorderRate > 0 && this.#random() < this.#options.reorderRate
  }

  /** Whole milliseconds from `delay.min` to `delay.max`, both included. */
  delay(): number {
    const { delayMin, delayMax } = this.#options
    if (delayMax === delayMin) return delayMin
    return delayMin + Math.floor(this.#random() * (delayMax - delayMin + 1))
  }
}
