// One client connection on the fast path: its bytes framed into requests (h1-heads.ts,
// h1-chunks.ts), one request at a time, each forwarded to the app over this connection's own
// connection to it (fast-upstream.ts) and answered by an Exchange (fast-exchange.ts). A head the
// fast path does not take is handed, with every byte not yet used, to node:http at that request
// boundary; nothing of that request has gone to the app, and nothing after it will go by this path.
import type { Socket } from 'node:net'
import { refuseClient } from './client-errors.ts'
import { Exchange, type ExchangeContext } from './fast-exchange.ts'
import { type AppAddress, AppConnection } from './fast-upstream.ts'
import { ChunkedDecoder, NEED_MORE, TOO_LARGE } from './h1-chunks.ts'
import {
  BROKEN,
  type HandoverReason,
  headEnd,
  parseRequestHead,
  type RequestHead,
} from './h1-heads.ts'
import { fieldLines, upstreamHead } from './headers.ts'
import type { ClientLimits } from './limits.ts'
import { methodLabel } from './metrics.ts'
import type { RouteMatcher } from './routes.ts'

/** What a client connection needs from the fast path around it. */
export interface ConnectionContext extends ExchangeContext {
  readonly app: AppAddress
  /** What the connections to the app read into (appReadBuffer). */
  readonly appReadBuffer: Buffer
  readonly limits: Readonly<ClientLimits>
  readonly route: RouteMatcher
  /** Gives the connection, with the bytes it has read and not used, to node:http. */
  handOver(connection: ClientConnection, reason: HandoverReason, unread: Buffer | undefined): void
  /** The connection has closed. */
  closed(connection: ClientConnection): void
}

// Where the connection is: reading a head (or idle between requests), reading a request body,
// waiting for the answer once the request is all in, or closing after its last answer.
const HEAD = 0
const BODY = 1
const WAITING = 2
const CLOSING = 3

/** A client connection served by the fast path. */
export class ClientConnection {
  readonly socket: Socket
  readonly #context: ConnectionContext
  readonly #address: string
  #state = HEAD
  /** Bytes read from the client and not used yet. */
  #pending: Buffer | undefined
  #scanned = 0
  /** Since when the connection has waited for a head, idled, or closed (performance.now()). */
  #since = performance.now()
  #served = 0
  #app: AppConnection | undefined
  #exchange: Exchange | undefined
  #remaining = 0
  #decoder: ChunkedDecoder | undefined
  #pausedForApp = false
  #pausedForBacklog = false
  readonly #listeners: [string, (chunk: Buffer) => void][]

  constructor(socket: Socket, context: ConnectionContext) {
    this.socket = socket
    this.#context = context
    this.#address = socket.remoteAddress ?? 'unknown'
    socket.setNoDelay(true)
    this.#listeners = [
      ['data', (chunk: Buffer) => this.#onData(chunk)],
      ['drain', () => this.#exchange?.clientDrained()],
      ['end', () => this.#onEnd()],
      ['error', () => socket.destroy()],
      ['close', () => this.#onClose()],
    ]
    for (const [event, listener] of this.#listeners) socket.on(event, listener)
  }

  /** Applies the head and keep-alive deadlines at `now`; called every headCheckIntervalMs. */
  checkDeadline(now: number): void {
    const { limits } = this.#context
    const waited = now - this.#since
    if (this.#state === CLOSING) {
      if (waited > limits.headTimeoutMs) this.socket.destroy()
    } else if (this.#state !== HEAD) return
    else if (this.#pending || this.#served === 0) {
      if (waited > limits.headTimeoutMs)
        refuseClient(this.#context.metrics, this.socket, 'ERR_HTTP_REQUEST_TIMEOUT', false)
    } else if (waited > limits.keepAliveTimeoutMs) this.socket.destroy()
  }

  /** Closes the connection if it carries no request (the meter drains). */
  closeIfIdle(): void {
    if (this.#state === HEAD && !this.#pending) this.socket.destroy()
  }

  #onData(chunk: Buffer): void {
    switch (this.#state) {
      case HEAD:
        // A later head's deadline counts from its first byte; the first's, from the connection's opening.
        if (!this.#pending && this.#served > 0) this.#since = performance.now()
        this.#pending = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk
        this.#readHeads()
        return
      case BODY:
        this.#readBody(chunk, 0)
        return
      case WAITING:
        this.#hold(chunk)
        return
    }
    // CLOSING: what the client still sends is read and dropped; unread, it would turn the close
    // into a reset, which can lose the answer.
  }

  /** Keeps bytes that came after a request while its answer is due (pipelining). */
  #hold(bytes: Buffer): void {
    this.#pending = this.#pending ? Buffer.concat([this.#pending, bytes]) : bytes
    if (this.#pending.length <= this.#context.limits.maxHeadBytes || this.#pausedForBacklog) return
    this.#pausedForBacklog = true
    this.socket.pause()
  }

  #readHeads(): void {
    const bytes = this.#pending
    if (this.#state !== HEAD || !bytes) return
    const end = headEnd(bytes, this.#scanned)
    const head = this.#headIn(bytes, end)
    if (head === undefined) return
    if (typeof head === 'string') {
      this.#handOver(head)
      return
    }
    this.#pending = undefined
    this.#scanned = 0
    // The head and the body bytes that came with it leave in one write.
    const more = end < bytes.length
    const app = this.#start(head, more)
    if (!more) return
    if (head.framing !== 'none') this.#readBody(bytes, end)
    else this.#hold(bytes.subarray(end))
    app.uncork()
  }

  // The head that ends at `end` in `bytes`, undefined while it is incomplete, or why it is not
  // for the fast path.
  #headIn(bytes: Buffer, end: number): RequestHead | HandoverReason | undefined {
    const max = this.#context.limits.maxHeadBytes
    if (end === BROKEN) return 'line-ending'
    if (end > max || (end === -1 && bytes.length > max)) return 'too-large'
    if (end !== -1) return parseRequestHead(bytes, end)
    this.#scanned = Math.max(0, bytes.length - 1)
    return undefined
  }

  /** Sends the request's head to the app (held back until uncork() if `corked`); its body
   *  follows as it comes. */
  #start(head: RequestHead, corked: boolean): AppConnection {
    this.#served++
    const { app: address, metrics, route } = this.#context
    let app = this.#app
    if (!app?.reusableAt(performance.now())) {
      app?.destroy()
      app = new AppConnection(address, this.#context.appReadBuffer)
      app.onDrain(() => this.#appDrained())
      this.#app = app
    }
    const series = metrics.series(methodLabel(head.method), route(head.target))
    const exchange = new Exchange(this, head, app, { series, context: this.#context })
    this.#exchange = exchange
    app.begin(exchange, head.method)
    if (corked) app.cork()
    app.write(upstreamRequest(head, this.#address))
    if (head.framing === 'none') this.#requestSent()
    else {
      this.#state = BODY
      this.#remaining = head.length
      if (head.framing === 'chunked')
        this.#decoder = new ChunkedDecoder(
          (data) => this.#forward(data),
          this.#context.limits.maxHeadBytes,
        )
    }
    return app
  }

  #readBody(bytes: Buffer, start: number): void {
    let end: number
    const decoder = this.#decoder
    if (decoder) {
      end = decoder.feed(bytes, start)
      if (end === NEED_MORE) return
      if (end < 0) {
        this.#brokenBody(end === TOO_LARGE)
        return
      }
      this.#decoder = undefined
      this.#app?.write('0\r\n\r\n')
    } else {
      const take = Math.min(this.#remaining, bytes.length - start)
      this.#forward(bytes.subarray(start, start + take))
      this.#remaining -= take
      if (this.#remaining > 0) return
      end = start + take
    }
    this.#requestSent()
    if (end < bytes.length) this.#hold(bytes.subarray(end))
  }

  /** Body bytes on their way to the app, counted without chunk framing. */
  #forward(data: Buffer): void {
    const app = this.#app
    if (!app || data.length === 0) return
    this.#exchange?.series.requestBytes(data.length)
    let flowing: boolean
    if (this.#decoder) {
      app.cork()
      app.write(`${data.length.toString(16)}\r\n`)
      app.write(data)
      flowing = app.write('\r\n')
      app.uncork()
    } else flowing = app.write(data)
    if (flowing || this.#pausedForApp) return
    // The app reads slower than the client sends: stop reading from the client until it catches up.
    this.#pausedForApp = true
    this.socket.pause()
  }

  #appDrained(): void {
    if (!this.#pausedForApp) return
    this.#pausedForApp = false
    if (!this.#pausedForBacklog) this.socket.resume()
  }

  #requestSent(): void {
    this.#state = WAITING
    this.#exchange?.requestSent()
    this.#app?.sent()
  }

  // A chunked body that breaks the rules: the app must never see where it ends, so its
  // connection is cut, and the client is answered as node:http answers it (400, or 413 for
  // too long a chunk line) unless its answer has begun.
  #brokenBody(tooLarge: boolean): void {
    const exchange = this.#exchange
    exchange?.clientGone()
    const code = tooLarge ? 'HPE_CHUNK_EXTENSIONS_OVERFLOW' : 'HPE_INVALID_CHUNK_SIZE'
    refuseClient(this.#context.metrics, this.socket, code, exchange?.answering ?? false)
  }

  /** Called by the exchange once its answer is complete. */
  exchangeDone(exchange: Exchange): void {
    this.#exchange = undefined
    this.#since = performance.now()
    if (exchange.close || this.#context.draining()) {
      this.#state = CLOSING
      this.#pending = undefined
      this.#app?.destroy()
      this.#app = undefined
      this.socket.end()
      if (this.#pausedForApp || this.#pausedForBacklog) this.socket.resume()
      return
    }
    this.#state = HEAD
    // The request is all with the app (its connection may be gone, and its 'drain' with it), and
    // what was held back now has room: the client may send again.
    if (this.#pausedForBacklog || this.#pausedForApp) {
      this.#pausedForBacklog = false
      this.#pausedForApp = false
      this.socket.resume()
    }
    this.#readHeads()
  }

  #handOver(reason: HandoverReason): void {
    for (const [event, listener] of this.#listeners) this.socket.off(event, listener)
    this.#app?.destroy()
    const unread = this.#pending
    this.#pending = undefined
    this.#context.handOver(this, reason, unread)
  }

  // Node's server does the same with a client that ends its side (lib/_http_server.js,
  // socketOnEnd): whatever request is in flight is abandoned, and the connection ends.
  #onEnd(): void {
    this.#exchange?.clientGone()
    this.socket.end()
  }

  #onClose(): void {
    this.#exchange?.clientGone()
    this.#app?.destroy()
    this.#context.closed(this)
  }
}

/** The head the app gets: the client's, rewritten by headers.ts, framed by the meter. */
function upstreamRequest(head: RequestHead, clientAddress: string): string {
  const { headers } = upstreamHead(head.fields, clientAddress)
  if (head.framing === 'chunked') headers.push('Transfer-Encoding', 'chunked')
  return `${head.method} ${head.target} HTTP/1.1\r\n${fieldLines(headers)}`
}
