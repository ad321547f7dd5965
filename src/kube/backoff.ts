// Delays between restarts of a failed watch: doubling from `initialMs` up to `maxMs`, jittered so
// that the webhook's replicas do not all come back to the API server in the same instant.

export interface BackoffOptions {
  initialMs: number
  maxMs: number
}

export interface Backoff {
  /** The delay before the next attempt; each call doubles the following one. */
  next(): number
  /** Back to `initialMs` after an attempt that worked. */
  reset(): void
}

// client-go's reflector backs off from 800 ms to 30 s between failed list-and-watch attempts.
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 800, maxMs: 30_000 })

/** A doubling delay with "equal jitter": somewhere between half the ceiling and the ceiling. */
export function backoff(options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): Backoff {
  let failures = 0
  return {
    next() {
      const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** failures)
      failures = Math.min(failures + 1, 30)
      return Math.round(ceiling / 2 + (random() * ceiling) / 2)
    },
    reset() {
      failures = 0
    },
  }
}
