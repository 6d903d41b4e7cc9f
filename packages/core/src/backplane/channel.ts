import { PROTOCOL_MAJOR } from '../protocol/frame.js'

/**
 * The channel of a cache: `<prefix>:<cache name>:v<protocol major>`. Caches with
 * different names, or speaking another major version, never share a channel.
 */
export function channelName(prefix: string, cacheName: string): string {
  return `${prefix}:${cacheName}:v${PROTOCOL_MAJOR}`
}
