// CONNECT asks for a tunnel to the host and port it names (RFC 9110 section 9.3.6): a forward
// proxy's service, which the meter, the front door of one app, does not offer. Left to node:http,
// such a connection is closed without a word, and nothing counts it. It is answered 405, as
// nginx answers it, rather than 501: a 5xx would count as the app failing, in every error ratio,
// for a request that no client of the app sends. The asterisk form (`OPTIONS *`) needs nothing
// here: undici refuses to send it, and it is answered 400 and counted like any request.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type MeterMetrics, methodLabel } from './metrics.ts'
import type { RouteMatcher } from './routes.ts'

const BODY = Buffer.from('405 Method Not Allowed: the meter does not open tunnels.\n')
// Allow (required with a 405) names the standard methods, which the meter forwards, as it does
// any other token but CONNECT.
const ANSWER = Buffer.concat([
  Buffer.from(
    'HTTP/1.1 405 Method Not Allowed\r\n' +
      'Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`,
  ),
  BODY,
])

export interface ConnectContext {
  metrics: MeterMetrics
  route: RouteMatcher
}

/** The `connect` listener of the proxy's server. */
export function refuseConnects(context: ConnectContext) {
  return (req: IncomingMessage, socket: Duplex): void => {
    const series = context.metrics.series(methodLabel(req.method), context.route(req.url ?? ''))
    const started = performance.now()
    context.metrics.inFlight.inc()
    let answered = false
    socket.on('error', () => socket.destroy())
    socket.once('close', () => {
      context.metrics.inFlight.dec()
      if (!answered) series.aborted()
    })
    // What the client sends after its head is read and dropped (unread, it would turn the close
    // into a reset that can lose the answer), and the connection is closed once the answer is
    // out rather than left half-open for as long as the client pleases.
    socket.resume()
    socket.end(ANSWER, () => {
      answered = true
      series.responseBytes(BODY.length)
      series.completed(405, (performance.now() - started) / 1000)
      socket.destroy()
    })
  }
}
