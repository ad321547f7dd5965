// What the meter answers when the app fails it: the error's kind for the metrics, the status
// (502 when the app could not give an answer, 504 when it did not give one in time, as nginx
// does), and a short body that says which. Requests and upgrades alike report and answer it here.
import { STATUS_CODES } from 'node:http'
import type { Logger } from 'pino'
import type { MeterMetrics, UpstreamErrorKind } from './metrics.ts'

export interface UpstreamFailure {
  /** Undefined when the request itself cannot be sent on (not the app's failure). */
  kind: UpstreamErrorKind | undefined
  status: 400 | 502 | 504
  /** A one-line, plain-text answer for the client; no internals beyond what happened. */
  body: string
}

// Error codes from Node's sockets and undici's errors (undici lib/core/errors.js).
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
])
/** The fast path's code for a connection to the app that was not accepted in time. */
export const CONNECT_TIMEOUT = 'ECONNECT_TIMEOUT'
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])

/** Classifies an error from the request to the app. Anything unrecognised counts as a reset. */
export function classifyFailure(error: unknown): UpstreamFailure {
  const code = codeOf(error)
  // undici refuses a request it cannot write, such as the asterisk-form target of `OPTIONS *`.
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED')
    return failure(undefined, 400, 'the meter cannot forward this request')
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === CONNECT_TIMEOUT)
    return failure('connect', 504, 'the app did not accept a connection in time')
  if (CONNECT_CODES.has(code))
    return failure('connect', 502, 'the app is not accepting connections')
  if (TIMEOUT_CODES.has(code)) return failure('timeout', 504, 'the app did not answer in time')
  return failure('reset', 502, 'the app closed the connection without a complete answer')
}

/** Where a failure is counted and logged. */
export interface FailureSinks {
  metrics: Pick<MeterMetrics, 'upstreamError'>
  log: Logger
}

/** Classifies an error from the app, counts it and logs it: one line, its message, no stack. */
export function reportFailure(
  error: Error,
  sinks: FailureSinks,
  message: string,
  fields: Record<string, unknown> = {},
): UpstreamFailure {
  const failure = classifyFailure(error)
  if (failure.kind) {
    sinks.metrics.upstreamError(failure.kind)
    sinks.log.warn({ kind: failure.kind, error: error.message, ...fields }, message)
  }
  return failure
}

/** The plain-text answer's header fields (flat: name, value...) and body; `close` ends the
 *  client's connection after it. */
export function failureAnswer(
  failure: UpstreamFailure,
  close: boolean,
): { fields: string[]; body: Buffer } {
  const body = Buffer.from(failure.body)
  const fields = ['content-type', 'text/plain; charset=utf-8', 'content-length', `${body.length}`]
  if (close) fields.push('connection', 'close')
  return { fields, body }
}

function failure(
  kind: UpstreamFailure['kind'],
  status: UpstreamFailure['status'],
  reason: string,
): UpstreamFailure {
  return { kind, status, body: `${status} ${STATUS_CODES[status]}: ${reason}.\n` }
}

// undici and Node put the code on the error; connection attempts to several addresses wrap the
// attempts in an AggregateError, and some errors carry the socket's error as their cause.
function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return ''
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown }
  if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0])
  return cause === undefined ? String(code ?? '') : codeOf(cause) || String(code ?? '')
}
