import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/**
 * Debian's Chromium (a test tool's own browser download cannot work on these
 * machines), or the browser that `CACHEPLANE_CHROMIUM` names.
 */
export const CHROMIUM_PATH = process.env.CACHEPLANE_CHROMIUM || '/usr/bin/chromium'

/** Launch flags for a headless Chromium that never tries to reach the network by itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export type ChromiumLookup = { path: string; skip?: undefined } | { path?: undefined; skip: string }

/**
 * Finds Chromium, installing Debian's package with apt-get when it is missing
 * and this process may (root). Otherwise says why the browser test is skipped.
 */
export function ensureChromium(): ChromiumLookup {
  if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH }
  if (process.env.CACHEPLANE_CHROMIUM) {
    return { skip: `CACHEPLANE_CHROMIUM names ${CHROMIUM_PATH}, which does not exist.` }
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot) {
    return {
      skip: `Chromium is not installed at ${CHROMIUM_PATH}, and the test is not running as root, so it cannot install it. Install it with: sudo apt-get install -y chromium`,
    }
  }
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return {
      skip: `Chromium is not installed at ${CHROMIUM_PATH} and there is no apt-get to install it with.`,
    }
  }
  console.log('[demo test] Chromium is missing: apt-get install -y chromium (Debian package)')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 600_000 })
  const install = () => apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium'])
  let result = install()
  if (result.status !== 0) {
    // A fresh machine has no package lists yet.
    apt(['update', '-qq'])
    result = install()
  }
  if (result.status === 0 && existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH }
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
    .trim()
    .split('\n')
    .slice(-5)
    .join('\n')
  return { skip: `apt-get install -y chromium failed (exit ${result.status}):\n${output}` }
}
