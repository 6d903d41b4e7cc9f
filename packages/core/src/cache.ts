import type { Cache } from './cache-types.js'
import { CacheplaneError } from './errors.js'
import type { CacheOptions } from './options.js'

/** Creates a cache. Being written. */
export function createCache<T = unknown>(_options: CacheOptions): Cache<T> {
  throw new CacheplaneError('E_UNSUPPORTED', 'createCache: being written')
}
