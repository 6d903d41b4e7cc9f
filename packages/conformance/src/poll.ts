/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this many ms. */
  timeout: number
  /** Wait this long between attempts, in ms. @default 10 */
  interval?: number
  /** Says what was awaited, for the error thrown at the deadline. */
  description: string
}

/**
 * Calls `attempt` until it returns something other than `undefined` or
 * `false`, and returns that. Thrown errors count as "not yet"; the last one is
 * the cause of the timeout error. Bounded polling instead of fixed sleeps.
 */
export async function pollUntil<T>(
  attempt: () => T | undefined | false | Promise<T | undefined | false>,
  options: PollOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeout
  const interval = options.interval ?? 10
  let lastError: unknown
  for (;;) {
    try {
      const result = await attempt()
      if (result !== undefined && result !== false) return result
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(
        `Timed out after ${options.timeout}ms waiting for ${options.description}${reason}`,
        { cause: lastError },
      )
    }
    await delay(interval)
  }
}

/** A plain timer promise, for pacing polls and for the delays a test injects on purpose. */
export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds))
}
