#!/usr/bin/env node
// The one entry point behind `npm run demo`, `npm test` and `npm run bench`.
// A fresh machine needs only Node and npm: pnpm is borrowed through npx when it
// is not installed, and `npm test` installs redis-server with apt when it may.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager
const pinnedVersion = pinned.split('@')[1]
const command = process.argv[2]
const passThrough = process.argv.slice(3)
const isCI = Boolean(process.env.CI) && process.env.CI !== 'false'

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  // Keep npx from asking: this machine's npm config says yes=false.
  npm_config_yes: 'true',
}

function log(message) {
  console.log(`\n[cacheplane] ${message}`)
}

function run(file, args, options = {}) {
  const result = spawnSync(file, args, { cwd: root, stdio: 'inherit', env, ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

function mustRun(file, args) {
  const status = run(file, args)
  if (status !== 0) process.exit(status)
}

function canRun(file, args) {
  const result = spawnSync(file, args, { cwd: root, stdio: 'ignore', env })
  return !result.error && result.status === 0
}

function findPnpm() {
  try {
    const version = execFileSync('pnpm', ['--version'], { cwd: root, env, encoding: 'utf8' }).trim()
    if (version === pinnedVersion) return ['pnpm', []]
    log(`pnpm ${version} is installed; using the pinned pnpm ${pinnedVersion} through npx.`)
  } catch {
    log(
      `pnpm is not installed; using pnpm ${pinnedVersion} through npx (nothing is installed globally).`,
    )
  }
  return ['npx', ['--yes', `pnpm@${pinnedVersion}`]]
}

const [pnpmFile, pnpmPrefix] = findPnpm()
const pnpm = (args) => mustRun(pnpmFile, [...pnpmPrefix, ...args])

function install() {
  log('Installing dependencies')
  pnpm(['install', ...(isCI ? ['--frozen-lockfile'] : []), '--reporter=append-only'])
}

function ensureRedis() {
  if (process.env.REDIS_URL) {
    log(`REDIS_URL is set: tests use ${process.env.REDIS_URL}`)
    return
  }
  if (canRun('redis-server', ['--version'])) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = canRun('apt-get', ['--version'])
  const sudo = !isRoot && hasApt && canRun('sudo', ['-n', 'true'])
  if (hasApt && (isRoot || sudo)) {
    log('redis-server is missing: installing it with apt-get (Debian package redis-server)')
    const prefix = sudo ? ['sudo', '-n'] : []
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' }
    const [file, ...rest] = [...prefix, 'apt-get']
    const update = spawnSync(file, [...rest, 'update', '-qq'], { stdio: 'inherit', env: aptEnv })
    const installStatus =
      update.status === 0
        ? spawnSync(file, [...rest, 'install', '-y', '-qq', 'redis-server'], {
            stdio: 'inherit',
            env: aptEnv,
          }).status
        : update.status
    if (installStatus === 0 && canRun('redis-server', ['--version'])) return
  }
  console.error(
    [
      '',
      '[cacheplane] The tests need a real Redis server and none was found.',
      '  Install one:      sudo apt-get install -y redis-server   (or your OS package manager)',
      '  or point at one:  REDIS_URL=redis://127.0.0.1:6379 npm test',
      'The tests start throwaway redis-server processes on free loopback ports; nothing is left running.',
    ].join('\n'),
  )
  process.exit(1)
}

switch (command) {
  case 'demo': {
    install()
    log('Building')
    pnpm(['run', 'build'])
    log('Starting the demo')
    // Straight to node (not through pnpm) so that Ctrl-C stops the demo quietly.
    process.exitCode = run(process.execPath, [join(root, 'apps/demo/src/main.mjs'), ...passThrough])
    break
  }
  case 'test': {
    ensureRedis()
    install()
    pnpm(['run', 'verify'])
    break
  }
  case 'bench': {
    ensureRedis()
    install()
    pnpm(['run', 'build'])
    pnpm(['--filter', '@cacheplane/benchmarks', 'run', 'bench', ...passThrough])
    break
  }
  default:
    console.error(`usage: node scripts/bootstrap.mjs demo|test|bench [args]`)
    process.exit(2)
}
