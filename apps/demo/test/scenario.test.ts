// The terminal modes: the scripted tour (on Redis when there is one, and on
// the in-process fallback) and the one-process example, each run as a user
// runs it, as a child process that must exit by itself.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runDemo } from './demo-process.js'

const redisAvailable =
  Boolean(process.env.REDIS_URL) ||
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

async function tour(args: string[]) {
  const demo = runDemo(['--scenario', '--port', '0', ...args])
  const timer = setTimeout(() => void demo.stop(), 50_000)
  const code = await demo.exited
  clearTimeout(timer)
  return { code, output: demo.output() }
}

describe('npm run demo -- --scenario', () => {
  it.skipIf(!redisAvailable)('tours three processes on Redis and prints its figures', async () => {
    const { code, output } = await tour([])
    expect(output, output).toContain('Redis')
    expect(output, output).toMatch(/propagation, publish -> delivery .* median \d+\.\d+ ms/)
    expect(output, output).toMatch(/hit rates under load: L1 \d+\.\d%/)
    expect(output, output).toMatch(/recovery: killed subscribers back in \d+ ms/)
    expect(output, output).toMatch(/\d+ checks passed\./)
    expect(code, output).toBe(0)
  })

  it('tours the in-process fallback and says plainly that there is no Redis', async () => {
    const { code, output } = await tour(['--memory'])
    expect(output, output).toContain(
      'No Redis (--memory was given): all 3 instances run in ONE process',
    )
    expect(output, output).toMatch(/\d+ checks passed\./)
    expect(code, output).toBe(0)
  })
})

describe('the one-process example', () => {
  it('runs and exits', () => {
    const example = fileURLToPath(new URL('../src/example.mjs', import.meta.url))
    const result = spawnSync(process.execPath, [example, '--quiet'], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0)
  })
})
