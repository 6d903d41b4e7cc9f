import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { Chaos, resolveChaos, seededRandom } from './chaos.js'

function chaosError(options: unknown): string {
  try {
    resolveChaos(options)
  } catch (error) {
    expect(CacheplaneError.hasCode(error, 'E_INVALID_OPTION')).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected resolveChaos to throw')
}

describe('resolveChaos', () => {
  it('means no chaos when left out, and fills defaults otherwise', () => {
    expect(resolveChaos(undefined)).toBeUndefined()
    expect(resolveChaos({ seed: 7 })).toEqual({
      dropRate: 0,
      duplicateRate: 0,
      reorderRate: 0,
      delayMin: 0,
      delayMax: 0,
      seed: 7,
    })
    expect(Number.isSafeInteger(resolveChaos({})?.seed)).toBe(true)
  })

  it('takes delays in milliseconds or as duration strings', () => {
    expect(resolveChaos({ delay: { min: 5, max: '1s' } })).toMatchObject({
      delayMin: 5,
      delayMax: 1_000,
    })
    expect(resolveChaos({ delay: { min: 5 } })).toMatchObject({ delayMin: 5, delayMax: 5 })
    expect(resolveChaos({ delay: { max: 20 } })).toMatchObject({ delayMin: 0, delayMax: 20 })
  })

  it.each(['dropRate', 'duplicateRate', 'reorderRate'])('rejects a %s outside 0..1', (name) => {
    for (const value of [-0.1, 1.5, Number.NaN, '0.5']) {
      expect(chaosError({ [name]: value })).toMatch(
        new RegExp(`^Invalid option "chaos\\.${name}": got .*, expected a number from 0 to 1\\.$`),
      )
    }
  })

  it('rejects bad delays, seeds and unknown names', () => {
    expect(chaosError({ delay: { min: 10, max: 5 } })).toMatch(
      /"chaos\.delay\.max".*at least chaos\.delay\.min \(10ms\)/,
    )
    expect(chaosError({ delay: { min: -1 } })).toMatch(/"chaos\.delay\.min"/)
    expect(chaosError({ delay: 5 })).toMatch(/"chaos\.delay".*an options object/)
    expect(chaosError({ delay: { mean: 5 } })).toMatch(/Unknown option "chaos\.delay\.mean"/)
    expect(chaosError({ seed: 1.5 })).toMatch(/"chaos\.seed".*an integer/)
    expect(chaosError({ drop: 0.5 })).toMatch(/Unknown option "chaos\.drop"\. Known options:/)
    expect(chaosError('lots')).toMatch(/"chaos"/)
  })
})

describe('seededRandom', () => {
  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed))
    expect(draw(42)).toEqual(draw(42))
    expect(draw(42)).not.toEqual(draw(43))
  })

  it('spreads evenly over [0, 1)', () => {
    const random = seededRandom(1)
    const buckets = new Array<number>(10).fill(0)
    let outside = 0
    for (let draw = 0; draw < 100_000; draw++) {
      const value = random()
      if (value < 0 || value >= 1) outside++
      else buckets[Math.floor(value * 10)]!++
    }
    expect(outside).toBe(0)
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500)
  })
})

describe('Chaos', () => {
  it('draws delays between min and max, both included', () => {
    const chaos = new Chaos(resolveChaos({ delay: { min: 3, max: 5 }, seed: 9 })!)
    const seen = new Set<number>()
    for (let draw = 0; draw < 1_000; draw++) seen.add(chaos.delay())
    expect([...seen].sort()).toEqual([3, 4, 5])
  })

  it('never fires a zero rate and always fires a rate of one', () => {
    const never = new Chaos(resolveChaos({ seed: 1 })!)
    const always = new Chaos(resolveChaos({ dropRate: 1, duplicateRate: 1, reorderRate: 1 })!)
    for (let draw = 0; draw < 100; draw++) {
      expect(never.drops() || never.duplicates() || never.reorders()).toBe(false)
      expect(always.drops() && always.duplicates() && always.reorders()).toBe(true)
    }
  })
})
