// Checks the golden fixtures against the codec, the files in fixtures/ and
// PROTOCOL.md. To regenerate them after an intended change of the wire
// format, run this file in update mode and review the diff:
//
//   CACHEPLANE_UPDATE_FIXTURES=1 pnpm --filter @cacheplane/core exec vitest run src/protocol/fixtures.test.ts
//
// Update mode rewrites src/protocol/fixtures-hex.ts (the canonical bytes, from
// encodeFrame), fixtures/*.hex, fixtures/invalid/*.hex and fixtures/index.json.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CacheplaneError } from '../errors.js'
import { decodeFrame, encodeFrame } from './codec.js'
import { validFixtureDefinitions } from './fixture-frames.js'
import { bytesToHex, invalidProtocolFixtures, protocolFixtures } from './fixtures.js'
import { canonicalFixtureHex } from './fixtures-hex.js'
import type { Frame } from './frame.js'
import { invalidFixtureDefinitions } from './invalid-fixture-frames.js'

const packageDirectory = new URL('../../', import.meta.url)
const fixturesDirectory = new URL('fixtures/', packageDirectory)
const invalidDirectory = new URL('invalid/', fixturesDirectory)
const hexModule = new URL('fixtures-hex.ts', import.meta.url)
const manifestFile = new URL('index.json', fixturesDirectory)

const updating = process.env.CACHEPLANE_UPDATE_FIXTURES === '1'

// Checks run against the modules loaded before the update: run again without the variable.
describe.runIf(updating)('protocol fixtures, update mode', () => {
  it('writes the fixture files', () => {
    writeFixtureFiles()
  })
})

describe.skipIf(updating)('protocol fixtures', () => {
  it('have unique kebab-case names', () => {
    const names = [...protocolFixtures, ...invalidProtocolFixtures].map((fixture) => fixture.name)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
  })

  it('record the bytes of exactly the canonical fixtures', () => {
    const canonical = validFixtureDefinitions.filter((definition) => definition.hex === undefined)
    expect(Object.keys(canonicalFixtureHex).sort()).toEqual(
      canonical.map((definition) => definition.name).sort(),
    )
  })

  it.each(protocolFixtures.map((fixture) => [fixture.name, fixture] as const))(
    '%s decodes to its frame',
    (_name, fixture) => {
      expect(fixture.hex).toMatch(/^([0-9a-f]{2})+$/)
      expect(bytesToHex(fixture.bytes)).toBe(fixture.hex)
      expect(decodeFrame(fixture.bytes)).toStrictEqual(fixture.frame)
    },
  )

  it.each(protocolFixtures.map((fixture) => [fixture.name, fixture] as const))(
    '%s: encodeFrame gives its bytes when canonical, and a frame that decodes alike otherwise',
    (_name, fixture) => {
      const encoded = encodeFrame(fixture.frame)
      if (fixture.canonical) expect(bytesToHex(encoded)).toBe(fixture.hex)
      else {
        expect(bytesToHex(encoded)).not.toBe(fixture.hex)
        expect(decodeFrame(encoded)).toStrictEqual(fixture.frame)
      }
    },
  )

  it('cover every operation kind, null and named regions, and a newer minor version', () => {
    const operations = protocolFixtures.flatMap((fixture) => fixture.frame.operations)
    const kinds = new Set(operations.map((operation) => operation.kind))
    expect([...kinds].sort()).toEqual(
      [
        'changed',
        'cleared',
        'expired',
        'heartbeat',
        'regionCleared',
        'removed',
        'tagsInvalidated',
      ].sort(),
    )
    const regions = operations.flatMap((operation) =>
      'region' in operation ? [operation.region] : [],
    )
    expect(regions).toContain(undefined)
    expect(regions).toContain('catalog')
    expect(protocolFixtures.some((fixture) => fixture.bytes[3]! > 0)).toBe(true)
  })

  it.each(invalidProtocolFixtures.map((fixture) => [fixture.name, fixture] as const))(
    'invalid %s is rejected with E_BACKPLANE_DECODE and its message',
    (_name, fixture) => {
      expect(bytesToHex(fixture.bytes)).toBe(fixture.hex)
      const error = catchError(() => decodeFrame(fixture.bytes))
      expect(CacheplaneError.hasCode(error, 'E_BACKPLANE_DECODE')).toBe(true)
      expect((error as Error).message).toBe(fixture.message)
    },
  )

  it('match the .hex files in fixtures/, one per fixture and no others', () => {
    expect(readHexFiles(fixturesDirectory)).toEqual(
      Object.fromEntries(protocolFixtures.map((fixture) => [fixture.name, fixture.hex])),
    )
    expect(readHexFiles(invalidDirectory)).toEqual(
      Object.fromEntries(invalidProtocolFixtures.map((fixture) => [fixture.name, fixture.hex])),
    )
  })

  it('match fixtures/index.json', () => {
    expect(JSON.parse(readFileSync(manifestFile, 'utf8'))).toEqual(manifest())
  })

  it('include the worked example of PROTOCOL.md, byte for byte', () => {
    const document = readFileSync(new URL('PROTOCOL.md', packageDirectory), 'utf8')
    const block = /<!-- worked-example -->\s*```text\n([\s\S]*?)```/.exec(document)
    expect(block, 'PROTOCOL.md has a worked-example block').not.toBeNull()
    // Each line starts with the bytes it explains, in hex pairs, before any annotation.
    const hex = block![1]!
      .split('\n')
      .map((line) => /^\s*((?:[0-9a-f]{2}\s)*[0-9a-f]{2})(\s|$)/.exec(line)?.[1] ?? '')
      .join('')
      .replace(/\s+/g, '')
    const example = protocolFixtures.find((fixture) => fixture.name === 'worked-example')!
    expect(hex).toBe(example.hex)
  })
})

function catchError(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

function readHexFiles(directory: URL): Record<string, string> {
  const files: Record<string, string> = {}
  for (const file of readdirSync(directory)) {
    if (file.endsWith('.hex')) {
      files[file.slice(0, -4)] = readFileSync(new URL(file, directory), 'utf8').trim()
    }
  }
  return files
}

/** A frame as JSON, fields in wire order: `undefined` regions become null, as on the wire. */
function frameToJson(frame: Frame): unknown {
  return {
    senderId: frame.senderId,
    epoch: frame.epoch,
    sequence: frame.sequence,
    cacheName: frame.cacheName,
    operations: frame.operations.map((operation) =>
      'region' in operation ? { ...operation, region: operation.region ?? null } : operation,
    ),
  }
}

function manifest(): unknown {
  return {
    description:
      'Golden frames of the cacheplane backplane protocol (see ../PROTOCOL.md). Each <name>.hex holds one frame as lowercase hex; region null means no region.',
    valid: protocolFixtures.map((fixture) => ({
      name: fixture.name,
      file: `${fixture.name}.hex`,
      description: fixture.description,
      canonical: fixture.canonical,
      frame: frameToJson(fixture.frame),
    })),
    invalid: invalidProtocolFixtures.map((fixture) => ({
      name: fixture.name,
      file: `invalid/${fixture.name}.hex`,
      reason: fixture.reason,
    })),
  }
}

function writeFixtureFiles(): void {
  const canonical: [string, string][] = []
  for (const definition of validFixtureDefinitions) {
    if (definition.hex === undefined) {
      canonical.push([definition.name, bytesToHex(encodeFrame(definition.frame))])
    }
  }
  const entries = canonical.map(([name, hex]) => `  '${name}':\n    '${hex}',`).join('\n')
  writeFileSync(
    hexModule,
    `// Generated by the fixtures test in update mode (see fixtures.test.ts). Do not edit.

/** @internal The bytes encodeFrame gives for each canonical fixture, as hex. */
export const canonicalFixtureHex: Readonly<Record<string, string>> = {
${entries}
}
`,
  )
  const hexByName = new Map(canonical)
  mkdirSync(invalidDirectory, { recursive: true })
  for (const directory of [fixturesDirectory, invalidDirectory]) {
    for (const file of readdirSync(directory)) {
      if (file.endsWith('.hex')) rmSync(new URL(file, directory))
    }
  }
  for (const definition of validFixtureDefinitions) {
    const hex = definition.hex ?? hexByName.get(definition.name)!
    writeFileSync(new URL(`${definition.name}.hex`, fixturesDirectory), `${hex}\n`)
  }
  for (const definition of invalidFixtureDefinitions) {
    writeFileSync(new URL(`${definition.name}.hex`, invalidDirectory), `${definition.hex}\n`)
  }
  writeFileSync(manifestFile, `${JSON.stringify(manifest(), null, 2)}\n`)
  // Leave the generated files as the formatter wants them, so that lint stays clean.
  execFileSync(
    'pnpm',
    ['exec', 'biome', 'format', '--write', fileURLToPath(hexModule), fileURLToPath(manifestFile)],
    {
      cwd: fileURLToPath(packageDirectory),
      stdio: 'ignore',
    },
  )
}
