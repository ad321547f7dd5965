// The --request-timeout flag of the commands that ask the API server and end (version, check):
// how long to wait for each answer, as kubectl's flag of that name; one rule and one message.
import { DURATION_EXAMPLES, durationError, parseDuration } from './duration.ts'

/** A GET of one small object takes milliseconds; this bounds a hung connection or an address
 *  that drops packets. */
export const REQUEST_TIMEOUT_MS = 10_000

/** The option for readFlags. */
export const REQUEST_TIMEOUT_OPTION = { 'request-timeout': { type: 'string' } } as const

/** The flag's line in a usage text. */
export const REQUEST_TIMEOUT_USAGE = `  --request-timeout DURATION
                       how long to wait for each answer of the API server (default 10s;
                       ${DURATION_EXAMPLES})`

/** The milliseconds the flag's value names (the default when not given), or the error. */
export function parseRequestTimeout(
  raw: string | boolean | string[] | undefined,
): { timeoutMs: number } | { error: string } {
  if (raw === undefined) return { timeoutMs: REQUEST_TIMEOUT_MS }
  const text = String(raw)
  const timeoutMs = parseDuration(text)
  if (timeoutMs === undefined || timeoutMs < 1)
    return { error: `--request-timeout: ${durationError(text, 1)}` }
  return { timeoutMs }
}
