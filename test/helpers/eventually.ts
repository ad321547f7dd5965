// Waiting in tests without sleeping: on a promise (an event, a process exit) or on a condition
// polled until it holds, each with a deadline that fails with a sentence naming what did not
// happen. The deadline only turns a hang into a clear failure: it is generous, and no assertion
// depends on how much of it was used.
import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  /** What the test waits for, as the failure names it: "the watch to restart". A function is
   *  called on failure only, to say what was seen last. */
  what: string | (() => string)
  /** Default 10 s: far more than anything here takes, even on a loaded machine. */
  timeoutMs?: number
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

const DEFAULT_TIMEOUT_MS = 10_000
// Short enough to add little to a test, long enough not to starve what is being waited for.
const POLL_MS = 10

/** Resolves with the first truthy result of `check`, which runs every 10 ms until the deadline. */
export async function until<T>(
  check: () => T | PromiseLike<T>,
  options: WaitOptions,
): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as Truthy<T>
    if (performance.now() > deadline) throw timedOut(options.what, timeoutMs)
    await sleep(POLL_MS)
  }
}

/** What `promise` settles with, or a rejection naming `what` once the deadline passes. */
export async function within<T>(promise: PromiseLike<T>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timedOut(options.what, timeoutMs)), timeoutMs)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

function timedOut(what: WaitOptions['what'], timeoutMs: number): Error {
  const sentence = typeof what === 'function' ? what() : what
  return new Error(`gave up after ${timeoutMs} ms waiting for ${sentence}`)
}
