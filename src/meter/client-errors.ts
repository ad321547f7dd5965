// Heads that never become requests: Node's parser refuses them before the meter sees a request
// (a head not complete in time, one too large, bytes that are not HTTP/1.1). Node answers them
// itself unless the server listens for 'clientError', which the meter does only to count them,
// so that a slowloris or a scanner shows in the metrics and not only in its victims' logs. The
// answers and the rule for when to give one are Node's own (lib/_http_server.js, socketOnError).
import type { Duplex } from 'node:stream'
import type { ClientErrorKind, MeterMetrics } from './metrics.ts'

const answer = (status: string) => Buffer.from(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`)

const REFUSALS: Record<string, { kind: ClientErrorKind; answer: Buffer }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { kind: 'head_timeout', answer: answer('408 Request Timeout') },
  HPE_HEADER_OVERFLOW: {
    kind: 'too_large',
    answer: answer('431 Request Header Fields Too Large'),
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { kind: 'too_large', answer: answer('413 Payload Too Large') },
}
const MALFORMED = { kind: 'malformed', answer: answer('400 Bad Request') } as const

/** The `clientError` listener of the proxy's server. */
export function answerClientErrors(metrics: Pick<MeterMetrics, 'clientError'>) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void =>
    refuseClient(metrics, socket, error.code ?? '', answerStarted(socket))
}

/**
 * Counts and answers what the parser refused (`code`, as Node's errors name it), then closes the
 * connection; `answering` says an answer to an earlier request is already under way, which a
 * second one must not corrupt.
 */
export function refuseClient(
  metrics: Pick<MeterMetrics, 'clientError'>,
  socket: Duplex,
  code: string,
  answering: boolean,
): void {
  // Anything else is the connection failing (a reset): there is no one to answer.
  const refusal = REFUSALS[code] ?? (code.startsWith('HPE_') ? MALFORMED : undefined)
  if (refusal) {
    metrics.clientError(refusal.kind)
    if (socket.writable && !answering) socket.write(refusal.answer)
  }
  socket.destroy()
}

// The connection's current response, as Node keeps it on the socket.
function answerStarted(socket: Duplex): boolean {
  return (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true
}
