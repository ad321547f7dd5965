// Upgrade requests (WebSocket): forwarded with node:http's client, which reports either
// the app's 101 (then both connections are spliced into a byte tunnel) or an ordinary answer
// (then it is passed back and the connection closes). undici, which carries the other requests,
// treats an upgrade refused by the app as an error and loses that answer.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { failureAnswer, reportFailure } from './failures.ts'
import {
  clientResponseHeaders,
  fieldLines,
  statusLine,
  switchedResponseHeaders,
  upstreamHead,
} from './headers.ts'
import { methodLabel, type Series } from './metrics.ts'
import type { ProxyContext } from './proxy.ts'

export interface TunnelContext extends Omit<ProxyContext, 'upstream' | 'closeIdle'> {
  upstream: { hostname: string; port: number }
  upstreamTimeoutMs: number
  /** Open tunnels, so that a drain that runs out of time can cut them. */
  tunnels: Set<Duplex>
}

/**
 * Whether the proxy's server hands an upgrade request to the tunnel: only when it has no body.
 * The tunnel sends the app the head alone (a WebSocket handshake is a GET, and h2c's settings
 * do not pass the meter), so an app waiting for a body it announced would wait until the
 * upstream timeout. With a body, the request goes the ordinary way, without its Upgrade field,
 * and the app answers it as any other: RFC 9110 section 7.8 lets a server ignore Upgrade.
 */
export function shouldTunnel(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined
}

/** The `upgrade` listener of the proxy's server. */
export function proxyUpgrades(context: TunnelContext) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const series = context.metrics.series(methodLabel(req.method), context.route(req.url ?? '/'))
    const upgrade = new Upgrade(socket, series, context)
    // Only Upgrade itself is passed on as a connection option: enough for WebSocket, whose
    // handshake fields (Sec-WebSocket-*) are end-to-end; h2c's HTTP2-Settings is not kept.
    const { headers } = upstreamHead(req.rawHeaders, req.socket.remoteAddress)
    headers.push('connection', 'upgrade', 'upgrade', req.headers.upgrade ?? '')
    const toApp = httpRequest({
      ...context.upstream,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      agent: false, // the connection becomes the tunnel's: nothing to pool
      timeout: context.upstreamTimeoutMs,
    })
    socket.on('close', () => toApp.destroy())
    toApp.on('timeout', () =>
      toApp.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    )
    toApp.on('error', (error) => upgrade.failed(error))
    toApp.on('response', (response) => upgrade.refused(response))
    toApp.on('upgrade', (response, appSocket, appHead) =>
      upgrade.accepted(response, appSocket, { fromClient: head, fromApp: appHead }),
    )
    toApp.end()
  }
}

/** Bytes that came in the same packets as the upgrade request's head and as the 101's. */
interface EarlyBytes {
  fromClient: Buffer
  fromApp: Buffer
}

/** One upgrade request, from the client's request to the app's answer, and its accounting. */
class Upgrade {
  readonly socket: Duplex
  readonly series: Series
  readonly context: TunnelContext
  readonly started = performance.now()
  settled = false

  constructor(socket: Duplex, series: Series, context: TunnelContext) {
    this.socket = socket
    this.series = series
    this.context = context
    context.metrics.inFlight.inc()
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.settle(undefined))
  }

  /**
   * The app switched protocols: pass its 101 on and splice the two connections. `early` holds
   * what each side sent in the same packets as its head, which Node hands over apart from the
   * stream; it goes first, and counts like the rest.
   */
  accepted(response: IncomingMessage, appSocket: Socket, early: EarlyBytes): void {
    const { socket, series, context } = this
    this.settle(101)
    appSocket.setTimeout(0) // the upstream timeout covered the handshake, not the tunnel
    appSocket.setNoDelay(true)
    const fields = switchedResponseHeaders(response.rawHeaders)
    socket.write(statusLine(101, response.statusMessage) + fieldLines(fields))
    if (early.fromApp.length) {
      series.responseBytes(early.fromApp.length)
      socket.write(early.fromApp)
    }
    if (early.fromClient.length) {
      series.requestBytes(early.fromClient.length)
      appSocket.write(early.fromClient)
    }
    socket.on('data', (chunk: Buffer) => series.requestBytes(chunk.length))
    appSocket.on('data', (chunk: Buffer) => series.responseBytes(chunk.length))
    // pipe() passes each side's end on as a half-close; a closed or broken side ends both.
    socket.pipe(appSocket)
    appSocket.pipe(socket)
    const cut = () => {
      socket.destroy()
      appSocket.destroy()
    }
    for (const side of [socket, appSocket]) side.on('error', cut).on('close', cut)
    context.tunnels.add(socket)
    socket.on('close', () => context.tunnels.delete(socket))
  }

  /** The app answered without switching: pass the answer on, then close the connection. */
  refused(response: IncomingMessage): void {
    const status = response.statusCode ?? 502
    const fields = clientResponseHeaders(response.headers)
    fields.push('connection', 'close')
    this.socket.write(statusLine(status, response.statusMessage) + fieldLines(fields))
    response.on('data', (chunk: Buffer) => this.series.responseBytes(chunk.length))
    response.pipe(this.socket)
    this.closeOnceAnswered(status)
  }

  /** No answer from the app: 502 or 504, as for any other request. */
  failed(error: Error): void {
    // Destroying the request to the app after the client left reports an error too.
    if (this.settled || this.socket.destroyed) return
    const failure = reportFailure(error, this.context, 'app failed an upgrade')
    const { fields, body } = failureAnswer(failure, true)
    this.series.responseBytes(body.length)
    this.socket.end(
      Buffer.concat([Buffer.from(statusLine(failure.status) + fieldLines(fields)), body]),
    )
    this.closeOnceAnswered(failure.status)
  }

  /**
   * Counts the answer once it is out, then closes the connection. Node's parser let go of it at
   * the upgrade, and with it the deadlines: a client that kept its side open would hold it for
   * ever. What the client sends meanwhile is dropped; unread, it would turn the close into a
   * reset, which can lose the answer.
   */
  closeOnceAnswered(status: number): void {
    this.socket.resume()
    this.socket.once('finish', () => {
      this.settle(status)
      this.socket.destroy()
    })
  }

  /** Counts the request once: answered (a status) or abandoned by the client (undefined). */
  settle(status: number | undefined): void {
    if (this.settled) return
    this.settled = true
    this.context.metrics.inFlight.dec()
    if (status === undefined) this.series.aborted()
    else this.series.completed(status, (performance.now() - this.started) / 1000)
  }
}
