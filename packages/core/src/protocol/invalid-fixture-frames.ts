import { envelope, header, heartbeatOperations, hex, text } from './fixture-frames.js'

// The invalid frames behind the golden fixtures (see fixtures.ts), written
// byte by byte: each breaks one rule, mostly of a heartbeat frame.

/** @internal */
export interface InvalidFixtureDefinition {
  readonly name: string
  readonly reason: string
  readonly hex: string
  /** What this implementation's decoder says about it. */
  readonly message: string
}

/** @internal */
export const invalidFixtureDefinitions: readonly InvalidFixtureDefinition[] = [
  {
    name: 'wrong-magic',
    reason: 'The first two bytes are not "CP" (0x43 0x50).',
    hex: hex('4351 0100', envelope, heartbeatOperations),
    message: 'frame has magic 0x4351, expected 0x4350',
  },
  {
    name: 'major-version-2',
    reason: 'Protocol major version 2: a version 1 reader must reject it.',
    hex: hex('4350 0200', envelope, heartbeatOperations),
    message: 'frame has protocol version 2.0; this reader speaks major version 1 only',
  },
  {
    name: 'major-version-0',
    reason: 'Protocol major version 0 does not exist.',
    hex: hex('4350 0000', envelope, heartbeatOperations),
    message: 'frame has protocol version 0.0; this reader speaks major version 1 only',
  },
  {
    name: 'truncated-header',
    reason: 'Shorter than the 4-byte header.',
    hex: '435001',
    message: 'frame is truncated: 3 bytes, shorter than the 4-byte header',
  },
  {
    name: 'header-only',
    reason: 'A header and no CBOR item.',
    hex: hex(header),
    message: 'frame is truncated: the frame envelope at byte 4 needs 1 more byte, 0 bytes remain',
  },
  {
    name: 'truncated-body',
    reason: 'A heartbeat frame missing its last byte.',
    hex: hex(header, envelope, '81 81'),
    message: 'operation 0 at byte 24: declares 1 item, more than the 0 bytes left can hold',
  },
  {
    name: 'trailing-byte',
    reason: 'One byte after the CBOR item.',
    hex: hex(header, envelope, heartbeatOperations, '00'),
    message: 'frame has 1 trailing byte after its CBOR item, from byte 26',
  },
  {
    name: 'map-envelope',
    reason: 'The envelope is a CBOR map: maps are not allowed anywhere.',
    hex: hex(header, 'a1', text('senderId'), text('node-a')),
    message: 'the frame envelope at byte 4: expected an array of 5 items, found a map',
  },
  {
    name: 'map-operation',
    reason: 'An operation is a map instead of an array.',
    hex: hex(header, envelope, '81 a1 01 07'),
    message: 'operation 0 at byte 24: expected an array, found a map',
  },
  {
    name: 'envelope-of-4',
    reason: 'The envelope has 4 items (no operations).',
    hex: hex(header, '84', text('node-a'), '01 01', text('products')),
    message: 'the frame envelope at byte 4: has 4 items, expected 5',
  },
  {
    name: 'envelope-of-6-same-minor',
    reason: 'An appended envelope item in a frame of minor version 0, which has none.',
    hex: hex(header, '86', text('node-a'), '01 01', text('products'), heartbeatOperations, '00'),
    message:
      'the frame envelope at byte 4: has 6 items, expected 5 (more only in a frame of a minor version above 0)',
  },
  {
    name: 'indefinite-length-array',
    reason: 'An indefinite-length array: only definite lengths are allowed.',
    hex: hex(header, '9f', text('node-a'), '01 01', text('products'), heartbeatOperations, 'ff'),
    message:
      'the frame envelope at byte 4: found an indefinite-length item; only definite lengths are allowed',
  },
  {
    name: 'empty-sender-id',
    reason: 'The sender id is the empty string.',
    hex: hex(header, '85 60 01 01', text('products'), heartbeatOperations),
    message: 'the sender id at byte 5: is 0 bytes long, expected 1 to 256',
  },
  {
    name: 'sender-id-too-long',
    reason: 'A sender id of 257 bytes.',
    hex: hex(header, '85', text('s'.repeat(257)), '01 01', text('products'), heartbeatOperations),
    message: 'the sender id at byte 5: is 257 bytes long, expected 1 to 256',
  },
  {
    name: 'sender-id-not-text',
    reason: 'The sender id is a byte string.',
    hex: hex(header, '85 42 6e6f 01 01', text('products'), heartbeatOperations),
    message: 'the sender id at byte 5: expected a text string, found a byte string',
  },
  {
    name: 'negative-epoch',
    reason: 'The epoch is -1.',
    hex: hex(header, '85', text('node-a'), '20 01', text('products'), heartbeatOperations),
    message:
      'the epoch at byte 12: expected an unsigned integer below 2^53, found a negative integer',
  },
  {
    name: 'float-epoch',
    reason: 'The epoch is the double 1.0: floats are not integers on this wire.',
    hex: hex(
      header,
      '85',
      text('node-a'),
      'fb 3ff0000000000000 01',
      text('products'),
      heartbeatOperations,
    ),
    message:
      'the epoch at byte 12: expected an unsigned integer below 2^53, found a floating-point number',
  },
  {
    name: 'epoch-too-large',
    reason: 'The epoch is 2^53, above the largest safe integer.',
    hex: hex(
      header,
      '85',
      text('node-a'),
      '1b 0020000000000000 01',
      text('products'),
      heartbeatOperations,
    ),
    message:
      'the epoch at byte 12: expected an unsigned integer below 2^53, found the unsigned integer 2^53 or more',
  },
  {
    name: 'sequence-zero',
    reason: 'Sequence numbers start at 1.',
    hex: hex(header, '85', text('node-a'), '01 00', text('products'), heartbeatOperations),
    message:
      'the sequence at byte 13: expected an unsigned integer from 1 to 2^53 - 1, found the unsigned integer 0',
  },
  {
    name: 'half-float-sequence',
    reason: 'The sequence is the half-precision float 1.0.',
    hex: hex(header, '85', text('node-a'), '01 f93c00', text('products'), heartbeatOperations),
    message:
      'the sequence at byte 13: expected an unsigned integer from 1 to 2^53 - 1, found a floating-point number',
  },
  {
    name: 'empty-cache-name',
    reason: 'The cache name is empty.',
    hex: hex(header, '85', text('node-a'), '01 01 60', heartbeatOperations),
    message: 'the cache name at byte 14: is 0 bytes long, expected 1 to 128',
  },
  {
    name: 'cache-name-bad-character',
    reason: 'The cache name holds a space.',
    hex: hex(header, '85', text('node-a'), '01 01', text('my cache'), heartbeatOperations),
    message:
      'the cache name at byte 14: holds byte 0x20 at byte 17; a cache name is A-Z a-z 0-9 _ . -',
  },
  {
    name: 'cache-name-too-long',
    reason: 'A cache name of 129 characters.',
    hex: hex(header, '85', text('node-a'), '01 01', text('c'.repeat(129)), heartbeatOperations),
    message: 'the cache name at byte 14: is 129 bytes long, expected 1 to 128',
  },
  {
    name: 'operations-not-array',
    reason: 'The operations item is null.',
    hex: hex(header, envelope, 'f6'),
    message: 'the operations at byte 23: expected an array of operations, found null',
  },
  {
    name: 'empty-operation',
    reason: 'An operation with no opcode.',
    hex: hex(header, envelope, '81 80'),
    message: 'operation 0 at byte 24: is an empty array; an operation starts with its opcode',
  },
  {
    name: 'unknown-opcode-same-minor',
    reason: 'Opcode 9 in a frame of minor version 0, which does not define it.',
    hex: hex(header, envelope, '81 8109'),
    message:
      'the opcode of operation 0 at byte 25: unknown opcode 9 in a frame of version 1.0; only frames of a minor version above 0 may carry opcodes this reader does not know',
  },
  {
    name: 'opcode-zero',
    reason: 'Opcode 0 is not defined.',
    hex: hex(header, envelope, '81 8100'),
    message:
      'the opcode of operation 0 at byte 25: unknown opcode 0 in a frame of version 1.0; only frames of a minor version above 0 may carry opcodes this reader does not know',
  },
  {
    name: 'opcode-not-integer',
    reason: 'The opcode is a text string.',
    hex: hex(header, envelope, '81 81', text('heartbeat')),
    message:
      'the opcode of operation 0 at byte 25: expected an unsigned integer, found a text string',
  },
  {
    name: 'heartbeat-with-item',
    reason: 'A heartbeat with an appended item in a frame of minor version 0.',
    hex: hex(header, envelope, '81 82 07 00'),
    message:
      'operation 0 (heartbeat) at byte 24: has 2 items, expected 1 (more only in a frame of a minor version above 0)',
  },
  {
    name: 'removed-without-keys',
    reason: 'A removed operation with a region but no keys.',
    hex: hex(header, envelope, '81 82 02 f6'),
    message: 'operation 0 (removed) at byte 24: has 2 items, expected 3',
  },
  {
    name: 'keys-versions-mismatch',
    reason: 'A changed operation with 2 keys but 1 version.',
    hex: hex(header, envelope, '81 84 01 f6 82', text('p:1'), text('p:2'), '81 05'),
    message:
      'versions of operation 0 (changed) at byte 36: has 1 version for 2 keys; expected one version per key',
  },
  {
    name: 'version-zero',
    reason: 'Versions start at 1.',
    hex: hex(header, envelope, '81 84 01 f6 81', text('p:1'), '81 00'),
    message:
      'version 0 of operation 0 (changed) at byte 33: expected a version from 1 to 2^53 - 1, found the unsigned integer 0',
  },
  {
    name: 'version-too-large',
    reason: 'A version of 2^64 - 1.',
    hex: hex(header, envelope, '81 84 01 f6 81', text('p:1'), '81 1b ffffffffffffffff'),
    message:
      'version 0 of operation 0 (changed) at byte 33: expected a version from 1 to 2^53 - 1, found the unsigned integer 2^53 or more',
  },
  {
    name: 'version-float',
    reason: 'A version written as the single-precision float 5.0.',
    hex: hex(header, envelope, '81 84 01 f6 81', text('p:1'), '81 fa 40a00000'),
    message:
      'version 0 of operation 0 (changed) at byte 33: expected a version from 1 to 2^53 - 1, found a floating-point number',
  },
  {
    name: 'region-not-text',
    reason: 'The region is an integer.',
    hex: hex(header, envelope, '81 83 02 05 81', text('p:1')),
    message:
      'the region of operation 0 (removed) at byte 26: expected a text string or null, found the unsigned integer 5',
  },
  {
    name: 'region-undefined',
    reason: 'The region is CBOR undefined (0xf7); only null means no region.',
    hex: hex(header, envelope, '81 83 02 f7 81', text('p:1')),
    message:
      'the region of operation 0 (removed) at byte 26: expected a text string or null, found undefined',
  },
  {
    name: 'key-null',
    reason: 'A key is null.',
    hex: hex(header, envelope, '81 83 02 f6 81 f6'),
    message: 'key 0 of operation 0 (removed) at byte 28: expected a text string, found null',
  },
  {
    name: 'key-byte-string',
    reason: 'A key is a byte string.',
    hex: hex(header, envelope, '81 83 02 f6 81 43 703a31'),
    message:
      'key 0 of operation 0 (removed) at byte 28: expected a text string, found a byte string',
  },
  {
    name: 'key-tagged',
    reason: 'A key wrapped in CBOR tag 0: tags are not allowed.',
    hex: hex(header, envelope, '81 83 02 f6 81 c0', text('p:1')),
    message: 'key 0 of operation 0 (removed) at byte 28: expected a text string, found tag 0',
  },
  {
    name: 'key-invalid-utf8',
    reason: 'A key whose bytes (0xc3 0x28) are not UTF-8.',
    hex: hex(header, envelope, '81 83 02 f6 81 62 c328'),
    message: 'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
  },
  {
    name: 'key-overlong-utf8',
    reason: 'A key holding "/" in an overlong two-byte form (0xc0 0xaf).',
    hex: hex(header, envelope, '81 83 02 f6 81 62 c0af'),
    message: 'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
  },
  {
    name: 'key-utf8-surrogate',
    reason: 'A key holding the UTF-8 form of the lone surrogate U+D800 (0xed 0xa0 0x80).',
    hex: hex(header, envelope, '81 83 02 f6 81 63 eda080'),
    message: 'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
  },
  {
    name: 'hostile-operation-count',
    reason: 'The operations array claims 2^32 - 1 items in a 28-byte frame.',
    hex: hex(header, envelope, '9a ffffffff', '8107'),
    message:
      'the operations at byte 23: declares 4294967295 items, more than the 2 bytes left can hold',
  },
  {
    name: 'hostile-key-length',
    reason: 'A key claims to be 2^32 - 1 bytes long.',
    hex: hex(header, envelope, '81 83 02 f6 81 7a ffffffff 703a31'),
    message:
      'key 0 of operation 0 (removed) at byte 28: is 4294967295 UTF-8 bytes long, more than 65536 UTF-16 code units can take',
  },
  {
    name: 'reserved-additional-information',
    reason: 'A head with additional information 28, which CBOR reserves.',
    hex: hex(header, envelope, '81 81 1c'),
    message:
      'the opcode of operation 0 at byte 25: found reserved additional information 28 (not well-formed CBOR)',
  },
  {
    name: 'map-in-skipped-operation',
    reason:
      'A map inside an operation of unknown opcode in a frame of minor version 1: skipped items may not be maps either.',
    hex: hex('4350 0101', envelope, '81 82 182a a0'),
    message:
      'an item of operation 0 (opcode 42) at byte 27: expected an item a newer minor version may add, found a map',
  },
]
