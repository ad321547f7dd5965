// One request on the fast path, from its head to the end of its answer: the app's response
// relayed to the client with the meter's own framing, or the meter's 502 or 504, and the request
// measured once, exactly as the node:http path measures it (proxy.ts).
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { failureAnswer, reportFailure } from './failures.ts'
import type { AppConnection, ResponseSink } from './fast-upstream.ts'
import type { RequestHead } from './h1-heads.ts'
import type { ResponseHead } from './h1-response-head.ts'
import { clientResponseFields, fieldLines, statusLine } from './headers.ts'
import type { MeterMetrics, Series } from './metrics.ts'

/** What an exchange needs from the meter around it. */
export interface ExchangeContext {
  readonly metrics: MeterMetrics
  readonly log: Logger
  /** True once the meter drains: answers then close their connection. */
  draining(): boolean
  /** The Keep-Alive field's value on answers that keep the connection (Node's: timeout=75). */
  readonly keepAlive: string
  /** The Date field's value now, for answers that lack one (RFC 9110 section 6.6.1). */
  date(): string
}

/** What an exchange needs from its client connection. */
export interface ExchangeOwner {
  readonly socket: Socket
  /** The answer is complete (or the meter gave its own): the connection goes on or closes. */
  exchangeDone(exchange: Exchange): void
}

/** One request and its answer, as the app's response sink. */
export class Exchange implements ResponseSink {
  readonly request: RequestHead
  /** The answer says Connection: close, and the connection closes after it. */
  close = false
  readonly #owner: ExchangeOwner
  readonly #app: AppConnection
  /** The request's instruments. */
  readonly series: Series
  readonly #context: ExchangeContext
  readonly #started = performance.now()
  #requestDone = false
  #headSent = false
  #chunked = false
  #status = 0
  #settled = false
  #appPaused = false
  /** The answer's head, written with the first bytes that follow it (see #send). */
  #head: string | undefined

  constructor(
    owner: ExchangeOwner,
    request: RequestHead,
    app: AppConnection,
    { series, context }: { series: Series; context: ExchangeContext },
  ) {
    this.#owner = owner
    this.request = request
    this.#app = app
    this.series = series
    this.#context = context
    context.metrics.inFlight.inc()
  }

  /** Whether the answer has begun (its head is written). */
  get answering(): boolean {
    return this.#headSent
  }

  /** The client has sent the whole request. */
  requestSent(): void {
    this.#requestDone = true
  }

  responseHead(head: ResponseHead): void {
    const close = this.#closesConnection()
    const bodyless = head.framing === 'none'
    this.#chunked = !bodyless && head.framing !== 'length'
    this.#status = head.status
    const fields = clientResponseFields(head.fields)
    // The meter frames what it sends itself: the app's Content-Length is written again below,
    // where it applies, so that a Connection field naming it cannot unframe the answer.
    const kept: string[] = []
    for (let i = 0; i < fields.length; i += 2)
      if (fields[i]?.length !== 14 || fields[i]?.toLowerCase() !== 'content-length')
        kept.push(fields[i] as string, fields[i + 1] as string)
    if (head.length >= 0 && head.status !== 204) kept.push('Content-Length', `${head.length}`)
    if (this.#chunked) kept.push('Transfer-Encoding', 'chunked')
    this.#writeHead(statusLine(head.status, head.reason), kept, close, head.hasDate)
  }

  responseData(data: Buffer): void {
    this.series.responseBytes(data.length)
    const flowing = this.#chunked
      ? this.#send(`${data.length.toString(16)}\r\n`, data, '\r\n')
      : this.#send('', data, '')
    if (flowing) return
    // The client reads slower than the app writes: stop reading from the app until it catches up.
    this.#appPaused = true
    this.#app.pause()
  }

  /** The client connection can take more. */
  clientDrained(): void {
    if (!this.#appPaused) return
    this.#appPaused = false
    this.#app.resume()
  }

  responseEnd(trailers: readonly string[]): void {
    this.#send(this.#chunked ? `0\r\n${fieldLines(trailers)}` : '')
    this.#settle(this.#status)
  }

  upstreamFailed(error: Error): void {
    if (this.#settled) return
    const path = this.request.target.split('?', 1)[0]
    const failure = reportFailure(error, this.#context, 'app failed', { path })
    if (this.#headSent) {
      // Too late for a 502: cutting the connection is the only way to tell the client the
      // response is incomplete. Neither completed nor aborted: the reset is counted.
      this.#settled = true
      this.#context.metrics.inFlight.dec()
      this.#owner.socket.destroy()
      return
    }
    const close = this.#closesConnection()
    const { fields, body } = failureAnswer(failure, false)
    this.#writeHead(statusLine(failure.status), fields, close, false)
    this.series.responseBytes(body.length)
    this.#send('', body, '')
    this.#settle(failure.status)
  }

  /** The client left before its answer was complete: the request to the app is cancelled. */
  clientGone(): void {
    if (this.#settled) return
    this.#settled = true
    this.series.aborted()
    this.#context.metrics.inFlight.dec()
    this.#app.destroy()
  }

  // While the meter drains, when the client asked, and when the request is not all in: the
  // rest of its body would have to be read and dropped, and what the app made of it is unknown.
  #closesConnection(): boolean {
    this.close = this.#context.draining() || this.request.close || !this.#requestDone
    return this.close
  }

  // The head waits for the bytes that follow it (most answers: the whole body, in the same read
  // from the app), so that both leave in one write, as Node writes a head with its first piece
  // of body; readDone() sends it alone when the app's read held no more.
  #writeHead(line: string, fields: string[], close: boolean, hasDate: boolean): void {
    if (!hasDate) fields.push('Date', this.#context.date())
    if (close) fields.push('Connection', 'close')
    else fields.push('Connection', 'keep-alive', 'Keep-Alive', this.#context.keepAlive)
    this.#head = line + fieldLines(fields)
    this.#headSent = true
  }

  readDone(): void {
    if (this.#head !== undefined) this.#send('')
  }

  /**
   * Writes `before`, `data` and `after` to the client, after the head if it is still waiting, as
   * one buffer: `data` is the app connection's read buffer (ResponseSink), which the next read
   * overwrites, while a write that the client does not take at once keeps what it was given. The
   * copy also makes one write of what would be several. Whether the client takes more.
   */
  #send(before: string, data?: Buffer, after = ''): boolean {
    const socket = this.#owner.socket
    const text = this.#head === undefined ? before : this.#head + before
    this.#head = undefined
    if (data === undefined || data.length === 0) return text ? socket.write(text, 'latin1') : true
    const out = Buffer.allocUnsafe(text.length + data.length + after.length)
    out.write(text, 0, 'latin1')
    data.copy(out, text.length)
    out.write(after, text.length + data.length, 'latin1')
    return socket.write(out)
  }

  #settle(status: number): void {
    this.#settled = true
    this.#context.metrics.inFlight.dec()
    this.series.completed(status, (performance.now() - this.#started) / 1000)
    this.#owner.exchangeDone(this)
  }
}
