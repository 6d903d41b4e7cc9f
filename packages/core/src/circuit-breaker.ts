import { CacheplaneError } from './errors.js'

/**
 * Stops calling a failing L2: after `threshold` failures in a row it opens for
 * `breakDuration`, during which calls fail fast; then one call probes, and
 * its success closes the circuit (its failure opens it again).
 * @internal
 */
export class CircuitBreaker {
  private failures = 0
  private openUntil = 0
  private probing = false

  constructor(
    private readonly threshold: number,
    private readonly breakDuration: number,
    private readonly onChange: (open: boolean, failures: number) => void,
  ) {}

  get isOpen(): boolean {
    return this.openUntil !== 0
  }

  /** Whether a call may go to the L2 now; the first call after the break is the probe. */
  allow(now: number): boolean {
    if (this.openUntil === 0) return true
    if (now < this.openUntil || this.probing) return false
    this.probing = true
    return true
  }

  success(): void {
    this.failures = 0
    this.probing = false
    if (this.openUntil === 0) return
    this.openUntil = 0
    this.onChange(false, 0)
  }

  failure(now: number): void {
    this.probing = false
    this.failures++
    if (this.threshold === 0) return
    const wasOpen = this.openUntil !== 0
    if (!wasOpen && this.failures < this.threshold) return
    this.openUntil = now + this.breakDuration
    if (!wasOpen) this.onChange(true, this.failures)
  }

  openError(operation: string): CacheplaneError {
    return new CacheplaneError(
      'E_L2_UNAVAILABLE',
      `The L2 is not called for ${operation}: it failed ${this.failures} times in a row, and the circuit breaker holds off until ${new Date(this.openUntil).toISOString()}.`,
    )
  }
}
