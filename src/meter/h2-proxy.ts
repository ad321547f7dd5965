// The HTTP/2 and gRPC request path: each client stream is forwarded on a stream of the pool's
// sessions to the app, bodies piped both ways with HTTP/2's flow control (a slow reader on one
// side stops the window on the other: nothing is held beyond a stream's window), trailers passed
// on both ways, a reset on either side passed to the other, and each call measured once when it
// ends, streaming calls too.
import {
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2'
import type { Logger } from 'pino'
import { failureAnswer, reportFailure, type UpstreamFailure } from './failures.ts'
import { GRPC_DEADLINE_EXCEEDED, GRPC_UNAVAILABLE, grpcAnswer, grpcStatusLabel } from './grpc.ts'
import type { H2Pool } from './h2-pool.ts'
import { type MeterMetrics, methodLabel, type Series } from './metrics.ts'
import type { RouteMatcher } from './routes.ts'

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } =
  constants

/** What the request path needs from the meter around it. */
export interface H2Context {
  pool: H2Pool
  metrics: MeterMetrics
  route: RouteMatcher
  log: Logger
  /** gRPC: failures are answered with a grpc-status, and calls are counted with theirs. */
  grpc: boolean
  /** The longest the app may stay silent before its response head; 0 for none. */
  responseTimeoutMs: number
}

/** The `stream` listener of the HTTP/2 server. */
export function proxyStreams(context: H2Context) {
  return (client: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const route = context.route(headers[':path'] ?? '')
    const series = context.metrics.series(methodLabel(headers[':method']), route)
    // The path without the query, which may carry tokens, for the log.
    const path = (headers[':path'] ?? '').split('?', 1)[0]
    new Call(client, series, context, path).forward(headers)
  }
}

const ignore = () => {}

/** One stream from a client and its counterpart to the app, and its accounting. */
class Call {
  readonly client: ServerHttp2Stream
  readonly series: Series
  readonly context: H2Context
  readonly path: string | undefined
  readonly started = performance.now()
  toApp: ClientHttp2Stream | undefined
  /** The response head went to the client (the app's, or the meter's own answer). */
  responded = false
  /** The response ended (END_STREAM queued to the client): the call is complete on our side. */
  ended = false
  /** The app failed after its response had started: the client's stream was reset. */
  cut = false
  status = 0
  grpcStatus: string | string[] | undefined
  requestTrailers: OutgoingHttpHeaders | undefined
  responseTrailers: OutgoingHttpHeaders | undefined
  appError: Error | undefined

  constructor(
    client: ServerHttp2Stream,
    series: Series,
    context: H2Context,
    path: string | undefined,
  ) {
    this.client = client
    this.series = series
    this.context = context
    this.path = path
    context.metrics.inFlight.inc()
    // A stream's errors end in its 'close', whose code says what happened.
    client.on('error', ignore)
    client.once('close', () => this.settle())
    client.on('wantTrailers', () => this.endResponse())
    client.once('trailers', (fields: IncomingHttpHeaders) => {
      this.requestTrailers = fields
    })
  }

  forward(headers: IncomingHttpHeaders): void {
    const { client, context } = this
    let toApp: ClientHttp2Stream
    try {
      toApp = context.pool.request(appHeaders(headers, client.session?.socket?.remoteAddress))
    } catch (error) {
      this.failed(error as Error)
      return
    }
    this.toApp = toApp
    toApp.on('error', (error: Error) => {
      this.appError = error
    })
    toApp.once('close', () => this.appClosed())
    toApp.once('response', (fields, flags) => this.respond(fields, flags))
    toApp.once('trailers', (fields: IncomingHttpHeaders) => {
      this.responseTrailers = fields
      this.grpcStatus = fields['grpc-status']
    })
    toApp.on('wantTrailers', () => toApp.sendTrailers(this.requestTrailers ?? {}))
    if (context.responseTimeoutMs > 0)
      toApp.setTimeout(context.responseTimeoutMs, () => {
        this.appError = Object.assign(new Error('no response in time'), { code: 'ETIMEDOUT' })
        toApp.close(NGHTTP2_CANCEL)
      })
    client.on('data', (chunk: Buffer) => this.series.requestBytes(chunk.length))
    client.pipe(toApp)
  }

  /** The app's response head: passed on, and its body piped after it. */
  respond(fields: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number): void {
    const { client, toApp } = this
    if (!toApp || client.destroyed || client.closed) return
    toApp.setTimeout(0)
    this.status = Number(fields[':status'])
    // A trailers-only response (a gRPC error without messages) has its status in the head.
    this.grpcStatus = fields['grpc-status']
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0
    this.responded = true
    client.respond(responseHeaders(fields), { endStream, waitForTrailers: !endStream })
    if (endStream) {
      this.ended = true
      this.finishUpload()
      return
    }
    toApp.on('data', (chunk: Buffer) => this.series.responseBytes(chunk.length))
    toApp.pipe(client)
  }

  /** The app's body ended: its trailers (if any) end the client's stream. */
  endResponse(): void {
    this.client.sendTrailers(this.responseTrailers ?? {})
    this.ended = true
    this.finishUpload()
  }

  /** The stream to the app closed: normally, or reset by the app, the session or the meter. */
  appClosed(): void {
    const { toApp } = this
    if (!toApp || this.client.closed) return
    if (toApp.rstCode === NGHTTP2_NO_ERROR && !this.appError) {
      // The app answered in full and closed without reading all of the request.
      this.finishUpload()
      return
    }
    this.failed(this.appError ?? resetBy(toApp.rstCode))
  }

  /** The app failed: answered (502, 504, or UNAVAILABLE for gRPC) if nothing was sent yet. */
  failed(error: Error): void {
    const { client, context } = this
    if (client.destroyed || client.closed || this.ended) return
    const failure = reportFailure(causeOf(error), context, 'app failed', { path: this.path })
    if (this.responded) {
      // Too late for an answer: a reset tells the client the response is incomplete.
      this.cut = true
      client.close(this.toApp?.rstCode || NGHTTP2_INTERNAL_ERROR)
      return
    }
    client.unpipe()
    client.resume() // the rest of the upload is not wanted
    this.responded = true
    this.ended = true
    if (context.grpc) this.answerGrpc(failure)
    else this.answerHttp(failure)
  }

  answerGrpc(failure: UpstreamFailure): void {
    this.status = 200
    this.grpcStatus = failure.status === 504 ? GRPC_DEADLINE_EXCEEDED : GRPC_UNAVAILABLE
    const message = failure.body.replace(/^\d+ [^:]*: /, '').trim()
    this.client.respond(grpcAnswer(this.grpcStatus, message), { endStream: true })
  }

  answerHttp(failure: UpstreamFailure): void {
    this.status = failure.status
    const { fields, body } = failureAnswer(failure, false)
    const head: OutgoingHttpHeaders = { ':status': failure.status }
    for (let i = 0; i < fields.length; i += 2) head[fields[i] ?? ''] = fields[i + 1]
    this.client.respond(head)
    this.series.responseBytes(body.length)
    this.client.end(body)
  }

  /**
   * Once the response is complete, a request still arriving is not wanted: RFC 9113 (section
   * 8.1) lets a server end it with a reset of code NO_ERROR, which the call completes with.
   */
  finishUpload(): void {
    const { client, toApp } = this
    if (this.ended && toApp?.closed && !client.readableEnded && !client.closed)
      client.close(NGHTTP2_NO_ERROR)
  }

  /** Counts the call once its stream closes: complete, cut, or abandoned by the client. */
  settle(): void {
    const { client, context } = this
    context.metrics.inFlight.dec()
    const seconds = (performance.now() - this.started) / 1000
    if (this.ended && client.rstCode === NGHTTP2_NO_ERROR) {
      const grpcStatus = context.grpc ? grpcStatusLabel(this.grpcStatus) : undefined
      this.series.completed(this.status, seconds, grpcStatus)
    } else if (!this.cut) {
      this.series.aborted()
      // The client's cancellation, with its code, goes on to the app.
      if (this.toApp && !this.toApp.closed) this.toApp.close(client.rstCode || NGHTTP2_CANCEL)
    }
  }
}

/** The client's request head for the app, with X-Forwarded-For and -Proto as for HTTP/1.1. */
function appHeaders(
  headers: IncomingHttpHeaders,
  address: string | undefined,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers }
  const forwarded = headers['x-forwarded-for']
  const client = address ?? 'unknown'
  out['x-forwarded-for'] = forwarded ? `${forwarded}, ${client}` : client
  out['x-forwarded-proto'] ??= 'http'
  return out
}

/** The app's response head for the client: every field, of the pseudo-fields only :status. */
function responseHeaders(fields: IncomingHttpHeaders & IncomingHttpStatusHeader) {
  const out: OutgoingHttpHeaders = {}
  for (const name in fields) if (name[0] !== ':' || name === ':status') out[name] = fields[name]
  return out
}

/** The error behind a stream the session cancelled (such as the app refusing connections). */
function causeOf(error: Error): Error {
  const { code, cause } = error as { code?: string; cause?: unknown }
  return code === 'ERR_HTTP2_STREAM_CANCEL' && cause instanceof Error ? cause : error
}

function resetBy(code: number | undefined): Error {
  return Object.assign(new Error(`the app reset the stream (code ${code})`), { code: 'ECONNRESET' })
}
