import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))

export interface DemoRun {
  readonly child: ChildProcess
  /** Everything the demo printed so far (stdout and stderr). */
  output(): string
  /** Resolves the exit code once the demo has exited. */
  readonly exited: Promise<number | null>
  /** SIGINT, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

const running = new Set<ChildProcess>()
// Whatever happens to the test process, no demo outlives it.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** Runs `node src/main.mjs ...args` (the demo) as a child process of the test. */
export function runDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  })
  running.add(child)
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running.delete(child)
      resolve(code)
    })
  })
  return {
    child,
    output: () => output,
    exited,
    async stop(graceMs = 8_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Starts the dashboard on free ports and resolves its URL once it is printed. */
export async function startDashboardDemo(timeoutMs = 60_000): Promise<DemoRun & { url: string }> {
  const demo = runDemo(['--port', '0'])
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`the demo printed no dashboard URL within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onData = () => {
      const match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(demo.output())
      if (match?.[1] === undefined) return
      cleanup()
      resolve(match[1])
    }
    const onExit = (code: number | null) =>
      fail(new Error(`the demo exited (code ${code}) before it was up`))
    const fail = (error: Error) => {
      cleanup()
      reject(new Error(`${error.message}. Its output:\n${demo.output()}`))
    }
    const cleanup = () => {
      clearTimeout(timer)
      demo.child.stdout?.off('data', onData)
      demo.child.off('exit', onExit)
    }
    demo.child.stdout?.on('data', onData)
    demo.child.on('exit', onExit)
  }).catch(async (error) => {
    await demo.stop()
    throw error
  })
  return Object.assign(demo, { url })
}
