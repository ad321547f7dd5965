// The HTTP/1.1 fast path: client connections are read from their raw sockets and their ordinary
// requests forwarded over raw sockets to the app, with node:http taking over any connection at
// the first request the fast path does not take.
//
// Why: node:http's server, undici's client and the streams between them cost about ten times the
// instructions nginx spends on a proxied request (bench/meter-instructions.ts), almost none of it
// in the meter's own code. Most requests are plain: a head, perhaps a body of known length, an
// answer of known length or chunked. Framing those bytes directly, and writing heads as strings,
// leaves out the request and response objects, the streams and their ticks.
//
// Why it cannot be smuggled through: the fast path frames a request only when its head is one
// that every conforming parser frames the same way (h1-heads.ts says which), and writes the
// framing the app sees itself (the validated Content-Length, or its own chunk framing of the
// decoded body), so the app's idea of where a request ends is the meter's. A head it is unsure
// of is never forwarded by it: the connection goes to node:http with every byte from that head
// on, before anything of that request reached the app, and node:http's strict parser answers it
// (forwards it, 400s it, upgrades it) exactly as it did before the fast path existed. Bytes after
// a request that closes the connection are dropped unread by either path. A body whose chunk
// framing breaks mid-way cannot be handed over: its request to the app is cut, so the app never
// sees a boundary, and the client is answered as node:http would (400 or 413).
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { ClientConnection, type ConnectionContext } from './fast-connection.ts'
import { type AppAddress, appReadBuffer } from './fast-upstream.ts'
import type { ClientLimits } from './limits.ts'
import type { MeterMetrics } from './metrics.ts'
import type { RouteMatcher } from './routes.ts'

export interface FastPathOptions {
  readonly app: AppAddress
  readonly limits: Readonly<ClientLimits>
  readonly metrics: MeterMetrics
  readonly route: RouteMatcher
  readonly log: Logger
  /** True once the meter drains: answers then close their connection. */
  draining(): boolean
  /** node:http's connection listener, to take over a connection the fast path hands on. */
  nodeConnection(socket: Socket): void
}

/** The fast path's connections, their deadlines, and their part in the meter's drain. */
export class FastPath {
  readonly #connections = new Set<ClientConnection>()
  readonly #context: ConnectionContext
  readonly #sweep: NodeJS.Timeout

  constructor(options: FastPathOptions) {
    const { limits, log, nodeConnection } = options
    this.#context = {
      ...options,
      // As Node writes it (lib/_http_outgoing.js).
      keepAlive: `timeout=${Math.floor(limits.keepAliveTimeoutMs / 1000)}`,
      date: dateField(),
      appReadBuffer: appReadBuffer(),
      handOver: (connection, reason, unread) => {
        this.#connections.delete(connection)
        log.debug({ reason }, 'a connection handed over to node:http')
        handOver(connection.socket, unread, nodeConnection)
      },
      closed: (connection) => this.#connections.delete(connection),
    }
    // One walk over the connections per interval, as Node's server checks its own heads,
    // rather than a timer per connection re-armed on every request.
    this.#sweep = setInterval(() => {
      const now = performance.now()
      for (const connection of this.#connections) connection.checkDeadline(now)
    }, limits.headCheckIntervalMs).unref()
  }

  /** Serves a new client connection. */
  accept(socket: Socket): void {
    this.#connections.add(new ClientConnection(socket, this.#context))
  }

  /** Closes the connections that carry no request (the meter drains). */
  closeIdle(): void {
    for (const connection of this.#connections) connection.closeIfIdle()
  }

  /** Cuts every connection, and with each its connection to the app. */
  cut(): void {
    for (const connection of this.#connections) connection.socket.destroy()
  }

  /** Stops the deadline checks. */
  close(): void {
    clearInterval(this.#sweep)
  }
}

// node:http reads a connection it is given from the stream's start: the bytes the fast path has
// read and not used go back there first (they are emitted again once the stream flows), and the
// stream flows again once node:http listens.
function handOver(socket: Socket, unread: Buffer | undefined, take: (socket: Socket) => void) {
  socket.pause()
  if (unread) socket.unshift(unread)
  take(socket)
  socket.resume()
}

// The Date field's value, computed once a second (as Node caches it).
function dateField(): () => string {
  let second = -1
  let value = ''
  return () => {
    const now = Math.floor(Date.now() / 1000)
    if (now !== second) {
      second = now
      value = new Date(now * 1000).toUTCString()
    }
    return value
  }
}
