// A small writer for the CBOR subset of PROTOCOL.md, to build frames no
// cacheplane instance would send: valid headers around hostile content.

type Item = Buffer

function head(major: number, value: number): Buffer {
  const type = major << 5
  if (value < 24) return Buffer.from([type | value])
  if (value < 0x100) return Buffer.from([type | 24, value])
  if (value < 0x1_0000) return Buffer.from([type | 25, value >> 8, value & 0xff])
  if (value < 0x1_0000_0000) {
    const bytes = Buffer.alloc(5)
    bytes[0] = type | 26
    bytes.writeUInt32BE(value, 1)
    return bytes
  }
  const bytes = Buffer.alloc(9)
  bytes[0] = type | 27
  bytes.writeBigUInt64BE(BigInt(value), 1)
  return bytes
}

export const uint = (value: number): Item => head(0, value)
export const text = (value: string): Item => {
  const bytes = Buffer.from(value, 'utf8')
  return Buffer.concat([head(3, bytes.length), bytes])
}
export const array = (items: readonly Item[]): Item =>
  Buffer.concat([head(4, items.length), ...items])
/** An array head that declares `count` items, whatever follows. */
export const arrayHead = (count: number): Item => head(4, count)
export const nil: Item = Buffer.from([0xf6])

/** Magic "CP", version 1.`minor`, then the envelope. */
export function frame(
  envelope: {
    senderId: string
    epoch?: number
    sequence: number
    cacheName: string
    operations: Item
  },
  minor = 0,
): Buffer {
  return Buffer.concat([
    Buffer.from([0x43, 0x50, 0x01, minor]),
    array([
      text(envelope.senderId),
      uint(envelope.epoch ?? 1),
      uint(envelope.sequence),
      text(envelope.cacheName),
      envelope.operations,
    ]),
  ])
}

export const changed = (region: string | null, keys: readonly string[]): Item =>
  array([
    uint(1),
    region === null ? nil : text(region),
    array(keys.map(text)),
    array(keys.map((_key, index) => uint(index + 1))),
  ])
export const removed = (region: string | null, keys: readonly string[]): Item =>
  array([uint(2), region === null ? nil : text(region), array(keys.map(text))])
export const cleared: Item = array([uint(4)])
export const regionCleared = (regions: readonly string[]): Item =>
  array([uint(5), array(regions.map(text))])
export const tagsInvalidated = (tags: readonly string[]): Item =>
  array([uint(6), array(tags.map(text))])
