/** `promise`, or a rejection after `milliseconds`; the timer never outlives the race. */
export function withTimeout<T>(
  promise: Promise<T>,
  milliseconds: number,
  reason = `timed out after ${milliseconds}ms`,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), milliseconds)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
