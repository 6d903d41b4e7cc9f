import { describe, expect, it } from 'vitest'
import { CacheplaneError } from './errors.js'

describe('CacheplaneError', () => {
  it('carries code, message and cause', () => {
    const cause = new Error('socket closed')
    const error = new CacheplaneError('E_L2_UNAVAILABLE', 'Redis is down', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('CacheplaneError')
    expect(error.code).toBe('E_L2_UNAVAILABLE')
    expect(error.cause).toBe(cause)
    expect(CacheplaneError.hasCode(error, 'E_L2_UNAVAILABLE')).toBe(true)
    expect(CacheplaneError.hasCode(error, 'E_CLOSED')).toBe(false)
  })

  it('isInstance recognises errors from another copy of the package', () => {
    // A second copy of core defines its own class, but marks instances with the same registered symbol.
    const foreign = Object.assign(new Error('from the other copy'), {
      code: 'E_CLOSED',
      [Symbol.for('cacheplane.error')]: true,
    })
    expect(foreign instanceof CacheplaneError).toBe(false)
    expect(CacheplaneError.isInstance(foreign)).toBe(true)
    expect(CacheplaneError.isInstance(new Error('plain'))).toBe(false)
    expect(CacheplaneError.isInstance(null)).toBe(false)
    expect(CacheplaneError.isInstance('E_CLOSED')).toBe(false)
  })
})
