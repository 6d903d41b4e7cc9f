export type { ChaosOptions } from './chaos.js'
export { createMemoryBus, type MemoryBus, type MemoryBusStats } from './memory-bus.js'
export { memoryHandle } from './memory-handle.js'
export type { MemoryHandleOptions } from './memory-handle-options.js'
export type { MemoryHandle } from './memory-handle-types.js'
export {
  type MemoryTransport,
  type MemoryTransportOptions,
  type MemoryTransportState,
  memoryTransport,
} from './memory-transport.js'
