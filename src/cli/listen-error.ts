// A port that cannot be opened is a failed start, reported with the listener it was for and the
// flag that sets it, so that whoever reads the log knows which setting (or which other process)
// to look at: "cannot open the metrics port 0.0.0.0:9090 (--metrics-port): address already in
// use (EADDRINUSE)".
import { getSystemErrorMessage } from 'node:util'

/** One of a command's listeners, as its flags configure it. */
export interface Listener {
  /** What it serves: "webhook HTTPS", "metrics", "proxy". */
  name: string
  /** The flag that sets its port. */
  flag: string
  host: string
  port: number
}

/** The error to report when `listener` failed to listen with `error`. */
export function cannotListen(listener: Listener, error: unknown): Error {
  const { code, errno } = error as NodeJS.ErrnoException
  const reason =
    typeof errno === 'number' && code !== undefined
      ? `${getSystemErrorMessage(errno)} (${code})`
      : error instanceof Error
        ? error.message
        : String(error)
  const where = `${listener.host}:${listener.port}`
  return new Error(`cannot open the ${listener.name} port ${where} (${listener.flag}): ${reason}`, {
    cause: error,
  })
}

/** Runs `listen`, turning its failure into `cannotListen`'s error for `listener`. */
export async function listening<T>(listener: Listener, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen()
  } catch (error) {
    throw cannotListen(listener, error)
  }
}

/**
 * Which of `listeners` an error from starting them all concerns, when it is a listen error whose
 * port names exactly one of them (ports of 0 name none: they never collide).
 */
export function failedListener(
  listeners: readonly Listener[],
  error: unknown,
): Listener | undefined {
  const { syscall, port } = error as { syscall?: string; port?: number }
  if (syscall !== 'listen' || !port) return undefined
  const named = listeners.filter((l) => l.port === port)
  return named.length === 1 ? named[0] : undefined
}
