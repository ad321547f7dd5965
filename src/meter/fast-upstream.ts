// The fast path's connection to the app: one raw TCP connection per client connection, reused
// for that client's requests one at a time while the app keeps it open, and its responses framed
// strictly (h1-heads.ts, h1-chunks.ts). Pairing it with one client connection, rather than a
// pool, keeps the order of requests and answers trivial and costs what undici's pool cost (it
// opened a connection per concurrent request too); requests are never pipelined to the app.
import { connect, type Socket } from 'node:net'
import { CONNECT_TIMEOUT } from './failures.ts'
import { ChunkedDecoder, NEED_MORE } from './h1-chunks.ts'
import { headEnd } from './h1-heads.ts'
import { parseResponseHead, type ResponseHead } from './h1-response-head.ts'

/** Where the app's answer to the current request goes. The data it is given lives in the read
 *  buffer that all app connections share: valid only until the call returns, so copied by a sink
 *  that keeps it or hands it to a write that may not complete at once. */
export interface ResponseSink {
  /** The final response head (interim 1xx answers are dropped: the final one follows). */
  responseHead(head: ResponseHead): void
  responseData(data: Buffer): void
  /** What one read from the app held has been handed on, and the response goes on. */
  readDone(): void
  /** The response is complete; `trailers` (flat) are those of a chunked body. */
  responseEnd(trailers: readonly string[]): void
  /** No complete response will come: the request failed (failures.ts classifies `error`). */
  upstreamFailed(error: Error): void
}

export interface AppAddress {
  readonly host: string
  readonly port: number
  /** How long the app may stay silent while a response is due (--upstream-timeout). */
  readonly timeoutMs: number
  readonly maxHeadBytes: number
}

// How long an idle connection is trusted to be still open, as undici decides it (its defaults):
// 4 s, or what the app's Keep-Alive field says less 2 s, so that a request is not sent just as
// the app closes the connection (Node's servers close idle ones after 5 s).
const DEFAULT_IDLE_MS = 4_000
const IDLE_MARGIN_MS = 2_000
const MAX_IDLE_MS = 600_000

const IDLE = 0
const HEAD = 1
const LENGTH = 2
const CHUNKED = 3
const UNTIL_CLOSE = 4

const coded = (message: string, code: string) => Object.assign(new Error(message), { code })

// As much as Node reads from a socket at once (its stream allocates 64 KiB per read).
const READ_BYTES = 64 * 1024

/** The buffer that the app connections of one fast path read into, one read at a time. */
export function appReadBuffer(): Buffer {
  return Buffer.allocUnsafe(READ_BYTES)
}

/** One connection to the app and the response being read from it. */
export class AppConnection {
  readonly #socket: Socket
  readonly #address: AppAddress
  #sink: ResponseSink | undefined
  #method = ''
  #phase = IDLE
  #pending: Buffer | undefined
  #remaining = 0
  #decoder: ChunkedDecoder | undefined
  #reusable = true
  #sent = false
  #paused = false
  #idleSince = 0
  #idleLimitMs = DEFAULT_IDLE_MS

  /** Connects to the app; its reads land in `readBuffer` (appReadBuffer), which other
   *  connections reuse as soon as each read is handled. */
  constructor(address: AppAddress, readBuffer: Buffer) {
    this.#address = address
    // Reads into one buffer, handed to a callback: no Readable stream, no 'data' event, no new
    // buffer per read. What the response sink keeps or writes, it copies (ResponseSink).
    const socket = connect({
      host: address.host,
      port: address.port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (size: number, buffer: Uint8Array) => {
          this.#onData(buffer as Buffer, size)
          return true // pause() stops the reads where the client is slower
        },
      },
    })
    socket.setTimeout(address.timeoutMs)
    socket.on('end', () => this.#onEnd())
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(coded('the app closed the connection', 'ECONNRESET')))
    socket.on('timeout', () => this.#onTimeout())
    this.#socket = socket
  }

  /** Whether another request may be sent on this connection at `now` (performance.now()). */
  reusableAt(now: number): boolean {
    return (
      this.#phase === IDLE &&
      this.#reusable &&
      !this.#socket.destroyed &&
      now - this.#idleSince < this.#idleLimitMs
    )
  }

  /** Starts a request with `method`, whose answer goes to `sink`; its bytes follow by write(). */
  begin(sink: ResponseSink, method: string): void {
    this.#sink = sink
    this.#method = method
    this.#phase = HEAD
    this.#sent = false
  }

  /** Writes request bytes; false when the app reads slower than they come. */
  write(data: Buffer | string): boolean {
    return typeof data === 'string' ? this.#socket.write(data, 'latin1') : this.#socket.write(data)
  }

  /** Holds writes back until uncork(), so that they leave together. */
  cork(): void {
    this.#socket.cork()
  }

  uncork(): void {
    this.#socket.uncork()
  }

  /** The request has been written whole: from now on the app's silence is timed. */
  sent(): void {
    this.#sent = true
  }

  /** Calls `listener` whenever the app has taken in what was written. */
  onDrain(listener: () => void): void {
    this.#socket.on('drain', listener)
  }

  /** Stops reading while the client reads slower than the app writes; its silence is not the
   *  app's then. */
  pause(): void {
    this.#paused = true
    this.#socket.pause()
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    this.#socket.setTimeout(this.#address.timeoutMs) // counts from now, not from the pause
    this.#socket.resume()
  }

  /** Closes the connection; the current request, if any, is abandoned without a word. */
  destroy(): void {
    this.#sink = undefined
    this.#socket.destroy()
  }

  #onData(buffer: Buffer, size: number): void {
    const sink = this.#sink
    if (this.#phase === IDLE || !sink) {
      this.destroy() // the app spoke out of turn
      return
    }
    this.#read(buffer.subarray(0, size), 0)
    if (this.#sink === sink) sink.readDone()
  }

  #read(bytes: Buffer, start: number): void {
    const sink = this.#sink
    if (!sink) return
    if (this.#phase === HEAD) this.#readHead(sink, bytes, start)
    else if (this.#phase === LENGTH) this.#readLength(sink, bytes, start)
    else if (this.#phase === CHUNKED) this.#readChunked(bytes, start)
    else if (bytes.length > start) sink.responseData(bytes.subarray(start))
  }

  #readLength(sink: ResponseSink, bytes: Buffer, start: number): void {
    const take = Math.min(this.#remaining, bytes.length - start)
    if (take > 0) sink.responseData(bytes.subarray(start, start + take))
    this.#remaining -= take
    if (this.#remaining === 0) this.#finish(bytes, start + take, [])
  }

  #readChunked(bytes: Buffer, start: number): void {
    const decoder = this.#decoder as ChunkedDecoder
    const end = decoder.feed(bytes, start)
    if (end >= 0) this.#finish(bytes, end, decoder.trailers)
    else if (end !== NEED_MORE)
      this.#fail(coded('malformed chunked response', 'HPE_INVALID_CHUNK_SIZE'))
  }

  #readHead(sink: ResponseSink, chunk: Buffer, start: number): void {
    const held = this.#pending?.length ?? 0
    const bytes = held
      ? Buffer.concat([this.#pending as Buffer, chunk.subarray(start)])
      : chunk.subarray(start)
    const end = headEnd(bytes, Math.max(0, held - 1))
    if (end === -1 && bytes.length <= this.#address.maxHeadBytes) {
      this.#pending = held ? bytes : Buffer.from(bytes) // not the read buffer, reused next read
      return
    }
    this.#pending = undefined
    const head =
      end < 0 || end > this.#address.maxHeadBytes
        ? undefined
        : parseResponseHead(bytes, end, this.#method)
    if (!head || head.status === 101)
      this.#fail(coded('malformed or too large response head', 'HPE_INVALID_HEADER'))
    else if (head.status < 200)
      this.#read(bytes, end) // interim: the final head follows
    else this.#startBody(sink, head, bytes, end)
  }

  // The final head: passed on, then its body read as its framing says.
  #startBody(sink: ResponseSink, head: ResponseHead, bytes: Buffer, end: number): void {
    this.#reusable = head.keepAlive
    if (head.idleHintMs >= 0) {
      this.#idleLimitMs = Math.min(head.idleHintMs - IDLE_MARGIN_MS, MAX_IDLE_MS)
      if (this.#idleLimitMs <= 0) this.#reusable = false
    }
    sink.responseHead(head)
    if (this.#sink !== sink) return
    if (head.framing === 'none' || (head.framing === 'length' && head.length === 0)) {
      this.#finish(bytes, end, [])
      return
    }
    if (head.framing === 'length') {
      this.#phase = LENGTH
      this.#remaining = head.length
    } else if (head.framing === 'chunked') {
      this.#phase = CHUNKED
      const onData = (data: Buffer) => this.#sink?.responseData(data)
      this.#decoder = new ChunkedDecoder(onData, this.#address.maxHeadBytes)
    } else this.#phase = UNTIL_CLOSE
    this.#read(bytes, end)
  }

  /** The response ended at `bytes[at]`: anything after it was not asked for. */
  #finish(bytes: Buffer, at: number, trailers: readonly string[]): void {
    const sink = this.#sink
    if (at < bytes.length) this.#reusable = false
    this.#phase = IDLE
    this.#sink = undefined
    this.#decoder = undefined
    this.#idleSince = performance.now()
    if (!this.#reusable) this.#socket.destroy()
    sink?.responseEnd(trailers)
  }

  #onEnd(): void {
    if (this.#phase === UNTIL_CLOSE) this.#finish(Buffer.alloc(0), 0, [])
    else this.#fail(coded('the app closed the connection', 'ECONNRESET'))
  }

  #onTimeout(): void {
    if (this.#phase === IDLE) this.#socket.destroy()
    else if (this.#socket.connecting)
      this.#fail(coded('connecting to the app timed out', CONNECT_TIMEOUT))
    // While the client still sends its body or reads slowly, the time is the client's.
    else if (this.#sent && !this.#paused)
      this.#fail(coded('the app did not answer in time', 'ETIMEDOUT'))
  }

  #fail(error: Error): void {
    const sink = this.#sink
    this.#sink = undefined
    this.#phase = IDLE
    this.#reusable = false
    this.#socket.destroy()
    sink?.upstreamFailed(error)
  }
}
