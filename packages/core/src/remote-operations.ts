import type { Emitter } from './events.js'
import type { Layers } from './layers.js'
import type { Operation } from './protocol/frame.js'

const NEWEST = Number.POSITIVE_INFINITY

/**
 * Applies another instance's invalidation to the local layers: the source is
 * never touched (the sender already wrote it), every other handle drops or
 * expires its copy, and reads in flight for the key are told not to store
 * what they find.
 * @internal
 */
export function applyRemoteOperation(operation: Operation, layers: Layers, emitter: Emitter): void {
  switch (operation.kind) {
    case 'changed': {
      const { region, keys, versions } = operation
      for (let index = 0; index < keys.length; index++) {
        const key = keys[index]!
        void layers.evictLocal(key, region, versions[index] ?? NEWEST)
        emitter.emit('entrySet', { key, region, origin: 'remote' })
      }
      return
    }
    case 'removed':
      for (const key of operation.keys) {
        void layers.evictLocal(key, operation.region, NEWEST)
        emitter.emit('entryRemoved', { key, region: operation.region, origin: 'remote' })
      }
      return
    case 'expired': {
      const now = Date.now()
      for (const key of operation.keys) {
        layers.flights.invalidate(key, operation.region, NEWEST)
        void layers.onLocal('expire', (handle) => handle.expire(key, operation.region, now))
        emitter.emit('entryExpired', { key, region: operation.region, origin: 'remote' })
      }
      return
    }
    case 'cleared':
      layers.markAllStale()
      void layers.onLocal('clear', (handle) => handle.clear())
      emitter.emit('cacheCleared', { origin: 'remote' })
      return
    case 'regionCleared':
      for (const region of operation.regions) {
        layers.flights.invalidateRegion(region)
        void layers.onLocal('clearRegion', (handle) => handle.clearRegion(region))
        emitter.emit('regionCleared', { region, origin: 'remote' })
      }
      return
    case 'tagsInvalidated':
      // Entries are checked against tag versions when read: forgetting the
      // versions makes the next read of an entry with these tags ask the source.
      layers.tags.forget(operation.tags)
      emitter.emit('tagsInvalidated', { tags: operation.tags, origin: 'remote' })
      return
    case 'heartbeat':
      return
  }
}
