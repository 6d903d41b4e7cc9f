import { describe, expect, it } from 'vitest'
import { SingleFlight } from './single-flight.js'

describe('SingleFlight', () => {
  it('shares one call per id and forgets it when done', async () => {
    const flight = new SingleFlight<number>()
    let calls = 0
    const call = async () => {
      const mine = ++calls
      await Promise.resolve()
      return mine
    }
    const results = await Promise.all([
      flight.run('a', call),
      flight.run('a', call),
      flight.run('b', call),
    ])
    expect(results).toEqual([1, 1, 2])
    expect(flight.size).toBe(0)
    expect(await flight.run('a', call)).toBe(3)
  })
})
