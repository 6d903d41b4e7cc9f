import type { Frame } from './frame.js'

// The valid frames behind the golden fixtures (see fixtures.ts). Canonical
// frames get their bytes from encodeFrame, recorded in fixtures-hex.ts; the
// others are written here byte by byte, because no encoder of this version
// produces them.

/** @internal */
export interface ValidFixtureDefinition {
  readonly name: string
  readonly description: string
  readonly frame: Frame
  /** Hand-written bytes for a frame encodeFrame does not produce; absent for canonical frames. */
  readonly hex?: string
}

const sender = { senderId: 'node-a', epoch: 1, cacheName: 'products' } as const

/** @internal CBOR text string, as hex: head and UTF-8 bytes (ASCII only here). */
export function text(value: string): string {
  const length = value.length
  const head =
    length < 24
      ? (0x60 + length).toString(16)
      : length < 256
        ? `78${length.toString(16).padStart(2, '0')}`
        : `79${length.toString(16).padStart(4, '0')}`
  let body = ''
  for (let index = 0; index < length; index++) {
    body += value.charCodeAt(index).toString(16).padStart(2, '0')
  }
  return head + body
}

/** @internal Joins hex parts written with spaces for reading. */
export function hex(...parts: string[]): string {
  return parts.join('').replace(/\s+/g, '')
}

/** @internal */
export const header = '4350 0100'
/** @internal Envelope of 5 items, sender node-a, epoch 1, sequence 1, cache products. */
export const envelope = hex('85', text('node-a'), '01 01', text('products'))
/** @internal One operation: heartbeat. */
export const heartbeatOperations = '81 8107'

/** @internal */
export const validFixtureDefinitions: readonly ValidFixtureDefinition[] = [
  {
    name: 'heartbeat',
    description: 'A heartbeat: the smallest frame an instance sends.',
    frame: { ...sender, sequence: 1, operations: [{ kind: 'heartbeat' }] },
  },
  {
    name: 'changed-null-region',
    description: 'One key changed outside any region (region is null), with its version.',
    frame: {
      ...sender,
      sequence: 2,
      operations: [{ kind: 'changed', region: undefined, keys: ['p:1'], versions: [1] }],
    },
  },
  {
    name: 'changed-region',
    description: 'Two keys of region "catalog" changed, each with its version.',
    frame: {
      ...sender,
      sequence: 3,
      operations: [
        { kind: 'changed', region: 'catalog', keys: ['p:1', 'p:2'], versions: [5, 1000] },
      ],
    },
  },
  {
    name: 'removed-null-region',
    description: 'One key removed outside any region.',
    frame: {
      ...sender,
      sequence: 4,
      operations: [{ kind: 'removed', region: undefined, keys: ['p:1'] }],
    },
  },
  {
    name: 'removed-region',
    description: 'Two keys of region "catalog" removed.',
    frame: {
      ...sender,
      sequence: 5,
      operations: [{ kind: 'removed', region: 'catalog', keys: ['p:1', 'p:2'] }],
    },
  },
  {
    name: 'expired',
    description:
      'Keys logically expired (kept for grace), one operation without and one with a region.',
    frame: {
      ...sender,
      sequence: 6,
      operations: [
        { kind: 'expired', region: undefined, keys: ['p:1'] },
        { kind: 'expired', region: 'catalog', keys: ['p:2'] },
      ],
    },
  },
  {
    name: 'cleared',
    description: 'The whole cache cleared.',
    frame: { ...sender, sequence: 7, operations: [{ kind: 'cleared' }] },
  },
  {
    name: 'region-cleared',
    description: 'Two regions cleared.',
    frame: {
      ...sender,
      sequence: 8,
      operations: [{ kind: 'regionCleared', regions: ['catalog', 'pricing'] }],
    },
  },
  {
    name: 'tags-invalidated',
    description: 'Every entry carrying either tag invalidated.',
    frame: {
      ...sender,
      sequence: 9,
      operations: [{ kind: 'tagsInvalidated', tags: ['brand:acme', 'category:shoes'] }],
    },
  },
  {
    name: 'multi-operation',
    description: 'One frame with an operation of every kind, in the order they were queued.',
    frame: {
      ...sender,
      sequence: 10,
      operations: [
        { kind: 'changed', region: 'catalog', keys: ['p:1'], versions: [2] },
        { kind: 'removed', region: undefined, keys: ['session:9'] },
        { kind: 'expired', region: 'catalog', keys: ['p:7', 'p:8'] },
        { kind: 'regionCleared', regions: ['pricing'] },
        { kind: 'tagsInvalidated', tags: ['brand:acme'] },
        { kind: 'cleared' },
        { kind: 'heartbeat' },
      ],
    },
  },
  {
    name: 'unicode',
    description:
      'Keys, region and tag beyond ASCII: accents, CJK, an emoji (4 UTF-8 bytes, a surrogate pair in JavaScript), a leading U+FEFF that must not be stripped, and a NUL.',
    frame: {
      ...sender,
      sequence: 11,
      operations: [
        {
          kind: 'changed',
          region: 'région',
          keys: ['café', '日本語', 'emoji:😀', '\uFEFFbom', 'nul:\u0000'],
          versions: [1, 2, 3, 4, 5],
        },
        { kind: 'tagsInvalidated', tags: ['marque:éà'] },
      ],
    },
  },
  {
    name: 'large-numbers',
    description:
      'Every CBOR integer width: versions at each boundary from 23 to 2^53 - 1, and the largest epoch and sequence.',
    frame: {
      senderId: 'node-a',
      epoch: Number.MAX_SAFE_INTEGER,
      sequence: Number.MAX_SAFE_INTEGER,
      cacheName: 'products',
      operations: [
        {
          kind: 'changed',
          region: undefined,
          keys: ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'],
          versions: [
            1,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            4_294_967_295,
            4_294_967_296,
            Number.MAX_SAFE_INTEGER,
          ],
        },
      ],
    },
  },
  {
    name: 'long-strings',
    description:
      'The longest sender id (256 bytes) and cache name (128 characters), and a 300-byte key: longer length heads.',
    frame: {
      senderId: 's'.repeat(256),
      epoch: 0,
      sequence: 1,
      cacheName: `c${'-'.repeat(126)}c`,
      operations: [{ kind: 'removed', region: undefined, keys: [`key:${'x'.repeat(296)}`] }],
    },
  },
  {
    name: 'empty-strings-and-lists',
    description:
      'An empty key in the empty-named region (not the same as no region), and operations with empty lists, which change nothing.',
    frame: {
      ...sender,
      sequence: 12,
      operations: [
        { kind: 'removed', region: '', keys: [''] },
        { kind: 'changed', region: undefined, keys: [], versions: [] },
        { kind: 'regionCleared', regions: [] },
      ],
    },
  },
  {
    name: 'no-operations',
    description: 'A frame with no operations: valid, and it still takes a sequence number.',
    frame: { ...sender, sequence: 13, operations: [] },
  },
  {
    name: 'worked-example',
    description: 'The frame PROTOCOL.md walks through byte by byte.',
    frame: {
      ...sender,
      sequence: 300,
      operations: [
        { kind: 'changed', region: 'catalog', keys: ['p:1', 'p:2'], versions: [7, 1000] },
        { kind: 'removed', region: undefined, keys: ['p:3'] },
      ],
    },
  },
  {
    name: 'forward-compatible-minor',
    description:
      'A frame of version 1.1, as a newer writer could send it: an operation of unknown opcode 42 (skipped), a known operation with an appended item (ignored), and an appended envelope item (ignored).',
    frame: {
      ...sender,
      sequence: 1,
      operations: [{ kind: 'removed', region: undefined, keys: ['p:1'] }, { kind: 'heartbeat' }],
    },
    hex: hex(
      '4350 0101', // version 1.1
      '86', // envelope of 6 items: one more than 1.0 has
      text('node-a'),
      '01 01',
      text('products'),
      '83', // three operations
      // [42, h'00ff', -5, [1, ["x"]], true, null, "future"]
      '87 182a 4200ff 24 8201 8161 78 f5 f6',
      text('future'),
      // [2, null, ["p:1"], 0]: removed, with an appended item
      '84 02 f6 81',
      text('p:1'),
      '00',
      '81 07',
      text('appended'), // the sixth envelope item
    ),
  },
  {
    name: 'non-shortest-integers',
    description:
      'Integers and lengths in longer forms than needed. Encoders must not write them; decoders accept them.',
    frame: {
      ...sender,
      sequence: 1,
      operations: [{ kind: 'changed', region: undefined, keys: ['p:1'], versions: [5] }],
    },
    hex: hex(
      header,
      '98 05', // envelope count 5 in one extra byte
      '78 06 6e6f64652d61', // "node-a", length in one extra byte
      '1b 0000000000000001', // epoch 1 in eight bytes
      '19 0001', // sequence 1 in two bytes
      text('products'),
      '99 0001', // one operation, count in two bytes
      '84 18 01 f6', // opcode 1 in one extra byte, region null
      '81',
      text('p:1'),
      '81 1a 00000005', // version 5 in four bytes
    ),
  },
]
