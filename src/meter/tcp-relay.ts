// `--protocol=tcp`: a relay that passes bytes between each client connection and one of its own
// to the app, unread, for what speaks neither HTTP nor gRPC (databases, brokers). It measures
// only what TCP shows: connections, their duration, bytes each way.
import { connect, createServer, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { reportFailure } from './failures.ts'
import type { FrontFactory } from './front-meter.ts'
import { createTcpMetrics, type TcpMetrics } from './tcp-metrics.ts'

interface RelayContext {
  metrics: TcpMetrics
  log: Logger
  app: { host: string; port: number }
  connectTimeoutMs: number
  idleTimeoutMs: number
  /** What cuts each open pair of connections, for a drain that runs out of time. */
  open: Set<() => void>
}

/** The TCP relay's front: a server whose every connection is paired with one to the app. */
export const tcpFront: FrontFactory = (config, log, limits) => {
  const metrics = createTcpMetrics()
  // The webhook may pass the Pod's routes whatever its protocol; bytes have no paths to match.
  if (config.routes.length > 0) log.warn('--route is ignored with --protocol=tcp')
  const { hostname, port } = new URL(config.upstream)
  const context: RelayContext = {
    metrics,
    log,
    app: { host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port) },
    connectTimeoutMs: config.upstreamTimeoutMs,
    idleTimeoutMs: limits.tcpIdleTimeoutMs,
    open: new Set(),
  }
  // allowHalfOpen: a client's FIN is passed on as the app's, and the app may still answer.
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) =>
    relay(client, context),
  )
  server.maxConnections = limits.maxConnections
  server.on('drop', () => metrics.connectionDropped())
  return {
    server,
    registry: metrics.registry,
    // TCP has no way to ask a peer to finish: connections end when their two sides end them.
    drain: () => {},
    cut: () => {
      for (const cut of context.open) cut()
    },
    release: async () => {},
  }
}

/** Pairs `client` with a new connection to the app and relays both ways until both close. */
function relay(client: Socket, context: RelayContext): void {
  const { metrics, log } = context
  const started = performance.now()
  metrics.opened()
  const app = connect({ ...context.app, allowHalfOpen: true, noDelay: true })
  // A reset, not a FIN, tells the other side that its peer failed rather than finished.
  const cut = () => {
    if (!client.destroyed) client.resetAndDestroy()
    if (!app.destroyed) app.resetAndDestroy()
  }
  context.open.add(cut)
  app.setTimeout(context.connectTimeoutMs)
  app.once('connect', () => app.setTimeout(0))
  app.on('timeout', () => {
    metrics.upstreamError('connect')
    log.warn({ timeoutMs: context.connectTimeoutMs }, 'app did not accept a connection in time')
    cut()
  })
  // Classified by its code, as the HTTP path's are: a reset can arrive before 'connect' does.
  app.on('error', (error) => {
    reportFailure(error, context, 'app failed')
    cut()
  })
  // The client's own failure is its business: the app's connection is reset in turn.
  client.on('error', cut)
  // Idle is measured on the client's socket, which both directions cross (reads and writes).
  client.setTimeout(context.idleTimeoutMs, () => {
    log.debug({ idleTimeoutMs: context.idleTimeoutMs }, 'idle connection closed')
    cut()
  })
  client.on('data', (chunk: Buffer) => metrics.received(chunk.length))
  app.on('data', (chunk: Buffer) => metrics.sent(chunk.length))
  // pipe() writes with backpressure (a slow reader pauses the other side) and passes each
  // side's end on as a half-close of the other.
  client.pipe(app)
  app.pipe(client)
  let open = 2
  const closed = (hadError: boolean) => {
    // A side that closes cleanly has ended both ways; the other then finishes writing and
    // closes on its own. One that broke takes the other with it.
    if (hadError) cut()
    if (--open > 0) return
    context.open.delete(cut)
    metrics.closed((performance.now() - started) / 1000)
  }
  client.once('close', closed)
  app.once('close', closed)
}
