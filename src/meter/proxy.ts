// The metering reverse proxy's request path: each request is forwarded to the app through an
// undici Pool, both bodies streamed with backpressure, and measured once when it ends.
//
// Why undici and not node:http's client: undici's dispatch() API (a keep-alive pool with an
// llhttp parser that hands over response chunks without a stream object per response) cost
// about 28 µs of CPU per proxied request where http.request with a keep-alive Agent cost about
// 50, in prototypes of both under the load of `npm run bench:meter` on a 2-CPU machine (33k
// against 20k requests/s). The server half stays node:http, for which nothing faster is kept.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Transform, type TransformCallback } from 'node:stream'
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import { failureAnswer, reportFailure } from './failures.ts'
import { clientResponseHeaders, upstreamHead } from './headers.ts'
import { type MeterMetrics, methodLabel, type Series } from './metrics.ts'
import type { RouteMatcher } from './routes.ts'

/** What the request path needs from the meter around it. */
export interface ProxyContext {
  /** A dispatcher bound to the app's origin (a keep-alive Pool). */
  upstream: Dispatcher
  metrics: MeterMetrics
  route: RouteMatcher
  log: Logger
  /** True once the meter drains: responses then close their connection. */
  draining(): boolean
  /** Closes keep-alive connections that carry no request (while draining). */
  closeIdle(): void
}

/** The `request` listener of the proxy's server. */
export function proxyRequests(context: ProxyContext) {
  // Node's server emits every request of a pipelined batch at once, and each would go to the app
  // on a connection of its own from the pool, in whatever order the app then takes them. RFC 9112
  // (section 9.3.2) lets a server work on pipelined requests in parallel only when all of them
  // are safe, so each connection's requests are sent on one after the other, each once the one
  // before it has been answered, as nginx does; the answers go out in that order anyway.
  const previous = new WeakMap<object, Promise<unknown>>()
  return (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET'
    const path = req.url ?? '/'
    const series = context.metrics.series(methodLabel(method), context.route(path))
    context.metrics.inFlight.inc()
    const head = upstreamHead(req.rawHeaders, req.socket.remoteAddress)
    const exchange = new Exchange(req, res, series, context)
    const body = head.hasBody ? exchange.countedBody() : null
    const send = () => {
      // A client that left while its request waited has been counted (settle) and is not sent.
      if (exchange.clientGone) return
      context.upstream.dispatch(
        { method: method as Dispatcher.HttpMethod, path, headers: head.headers, body },
        exchange,
      )
    }
    const before = previous.get(req.socket)
    previous.set(req.socket, new Promise((answered) => res.once('close', answered)))
    if (before) void before.then(send)
    else send()
  }
}

const CLIENT_GONE = new Error('the client closed the connection')
const ignore = () => {}

/** One request and its response: undici's handler, and the bookkeeping for the metrics. */
class Exchange implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly series: Series
  readonly context: ProxyContext
  readonly started = performance.now()
  controller: Dispatcher.DispatchController | undefined
  body: Transform | undefined
  /** The client left before the response was complete. */
  clientGone = false
  /** The app failed after the response had started; the meter cut the client's response. */
  cut = false
  /** Body bytes still to come by the response's Content-Length; -1 when it gives none. */
  remaining = -1

  constructor(req: IncomingMessage, res: ServerResponse, series: Series, context: ProxyContext) {
    this.req = req
    this.res = res
    this.series = series
    this.context = context
    res.on('close', () => this.settle())
  }

  /** The request body on its way to the app, its bytes counted as undici reads them. */
  countedBody(): Transform {
    const { series } = this
    const body = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        series.requestBytes(chunk.length)
        callback(null, chunk)
      },
    })
    // pipe() rather than pipeline(): when the app fails mid-upload the client's request must
    // survive, so that it can still be answered with a 502.
    this.req.pipe(body)
    this.req.once('error', (error) => body.destroy(error))
    // undici listens for the body's errors only while it sends it; an abort after that must
    // not become an uncaught 'error' event.
    body.on('error', ignore)
    this.body = body
    return body
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.clientGone) controller.abort(CLIENT_GONE)
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    // Interim answers (102, 103) are not passed on: the final one follows.
    if (status < 200) return
    const fields = clientResponseHeaders(headers)
    if (this.lastOnConnection()) fields.push('connection', 'close')
    if (statusMessage) this.res.writeHead(status, statusMessage, fields)
    else this.res.writeHead(status, fields)
    // These never have a body, so the answer is complete now. It must be: undici takes a
    // Content-Length on a 304, which RFC 9110 (section 8.6) allows, for a body that is missing
    // and fails the request after this point.
    if (status === 204 || status === 304) this.res.end()
    else this.remaining = contentLength(headers['content-length'])
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.series.responseBytes(chunk.length)
    this.remaining -= chunk.length
    // The chunk that completes a Content-Length body (most responses: one chunk) ends the
    // response in the same call, which writes it at once instead of at the next tick, and
    // saves a second pass through Node's response stream.
    if (this.remaining === 0) {
      this.res.end(chunk)
      return
    }
    if (this.res.write(chunk)) return
    // The client reads slower than the app writes: stop reading from the app until it catches up.
    controller.pause()
    this.res.once('drain', () => controller.resume())
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: Record<string, unknown>) {
    if (this.res.writableEnded) return
    for (const _name in trailers) {
      this.res.addTrailers(trailers as Record<string, string>)
      break
    }
    this.res.end()
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    // Either the meter cancelled it (settle() has counted the abort) or the client already has
    // its whole answer (a 204 or 304 that undici still checks against its Content-Length).
    if (this.clientGone || this.res.writableEnded) return
    // The path without the query, which may carry tokens.
    const path = this.req.url?.split('?', 1)[0]
    const failure = reportFailure(error, this.context, 'app failed', { path })
    if (this.res.headersSent) {
      // Too late for a 502: cutting the connection is the only way to tell the client the
      // response is incomplete.
      this.cut = true
      this.res.destroy()
      return
    }
    this.stopUpload()
    const { fields, body } = failureAnswer(failure, this.lastOnConnection() || !this.req.complete)
    this.res.writeHead(failure.status, fields)
    this.series.responseBytes(body.length)
    this.res.end(body)
  }

  /**
   * Whether the answer must close the connection: while the meter drains, and when the request
   * asked for an upgrade that the tunnel did not take (it had a body): Node's parser reads
   * nothing more on a connection after an upgrade request, taken or not.
   */
  lastOnConnection(): boolean {
    return this.context.draining() || this.req.headers.upgrade !== undefined
  }

  // The app will not read the rest of the body: discard it instead of leaving the client's
  // connection stalled, and close the connection once the answer is out.
  stopUpload(): void {
    if (!this.body || this.req.complete) return
    this.req.unpipe(this.body)
    this.req.resume()
  }

  /** Counts the request once its response is over: complete, or abandoned by the client. */
  settle(): void {
    this.context.metrics.inFlight.dec()
    // A response that started before the drain did not say Connection: close; its connection
    // is idle now and would otherwise hold the drain up until the keep-alive timeout.
    if (this.context.draining()) this.context.closeIdle()
    if (this.res.writableFinished) {
      this.series.completed(this.res.statusCode, (performance.now() - this.started) / 1000)
    } else if (!this.cut) {
      this.clientGone = true
      this.series.aborted()
      this.controller?.abort(CLIENT_GONE)
      this.body?.destroy(CLIENT_GONE)
    }
  }
}

// A Content-Length that undici's parser accepted: one field of digits.
function contentLength(value: string | string[] | undefined): number {
  return typeof value === 'string' ? Number(value) : -1
}
