// The meter: the proxy of the configured protocol, started with the metrics port by the one
// lifecycle every protocol shares (front-meter.ts), and HTTP/1.1's proxy.
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { Pool } from 'undici'
import { answerClientErrors } from './client-errors.ts'
import type { MeterConfig } from './config.ts'
import { refuseConnects } from './connect.ts'
import { FastPath } from './fast-path.ts'
import { type Front, type FrontFactory, startFrontMeter } from './front-meter.ts'
import { h2Front } from './h2-front.ts'
import { CLIENT_LIMITS, type ClientLimits, serverOptions } from './limits.ts'
import { createMeterMetrics, type MeterMetrics } from './metrics.ts'
import { proxyRequests } from './proxy.ts'
import { compileRoutes } from './routes.ts'
import { tcpFront } from './tcp-relay.ts'
import { proxyUpgrades, shouldTunnel } from './tunnel.ts'

// Each protocol's proxy; the lifecycle around it (front-meter.ts) is the same for all.
const FRONTS: Record<MeterConfig['protocol'], FrontFactory> = {
  http: httpFront,
  http2: h2Front,
  grpc: h2Front,
  tcp: tcpFront,
}

/** A started meter. */
export interface RunningMeter {
  /** Where the proxy listens (a port of 0 in the configuration is resolved here). */
  readonly proxyAddress: AddressInfo
  readonly metricsAddress: AddressInfo
  readonly metrics: Pick<MeterMetrics, 'registry'>
  /**
   * Stops gracefully: readiness fails, the proxy stops accepting connections, idle keep-alive
   * connections close, in-flight requests finish (each response closing its connection), and
   * whatever is still open when the drain timeout ends is cut. Resolves when all is closed.
   */
  stop(): Promise<void>
}

/**
 * Starts the proxy and the metrics port; rejects (with nothing left open) if either cannot listen.
 * `limits` replaces some of CLIENT_LIMITS (tests shorten the deadlines).
 */
export function startMeter(
  config: Readonly<MeterConfig>,
  log: Logger,
  limits: Partial<ClientLimits> = {},
): Promise<RunningMeter> {
  return startFrontMeter(config, log, { ...CLIENT_LIMITS, ...limits }, FRONTS[config.protocol])
}

// HTTP/1.1: the fast path (fast-path.ts) for ordinary requests; node:http for clients whose
// requests it does not take, with an undici pool to the app and upgrades spliced into tunnels.
// Its drain: close() stops accepting and closes idle keep-alive connections; busy ones close
// after their response (marked Connection: close while draining), upgraded ones when their
// tunnel ends.
function httpFront(
  config: Readonly<MeterConfig>,
  log: Logger,
  limits: Readonly<ClientLimits>,
): Front {
  let draining = false
  const upstream = new Pool(config.upstream, {
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: config.upstreamTimeoutMs,
  })
  const metrics = createMeterMetrics()
  const tunnels = new Set<Duplex>()
  const shared = { metrics, route: compileRoutes(config.routes), log, draining: () => draining }
  const proxy = createServer(
    { ...serverOptions(limits), shouldUpgradeCallback: shouldTunnel },
    proxyRequests({ ...shared, upstream, closeIdle: () => proxy.closeIdleConnections() }),
  )
  proxy.maxConnections = limits.maxConnections
  // Connections come to the fast path first; node:http's own listener (which sets up its parser
  // on the socket) runs only for those the fast path hands over. The server still accepts them,
  // so that its cap, its 'drop' events and close() cover both paths.
  const [nodeConnection] = proxy.listeners('connection') as [(socket: Socket) => void]
  proxy.removeAllListeners('connection')
  const { hostname, port } = new URL(config.upstream)
  const fast = new FastPath({
    ...shared,
    limits,
    app: {
      host: hostname,
      port: Number(port),
      timeoutMs: config.upstreamTimeoutMs,
      maxHeadBytes: limits.maxHeadBytes,
    },
    nodeConnection: (socket) => nodeConnection.call(proxy, socket),
  })
  proxy.on('connection', (socket: Socket) => fast.accept(socket))
  proxy.on('drop', () => metrics.connectionDropped())
  proxy.on('clientError', answerClientErrors(metrics))
  const upgrades = { upstream: { hostname, port: Number(port) }, tunnels }
  const timeout = { upstreamTimeoutMs: config.upstreamTimeoutMs }
  proxy.on('upgrade', proxyUpgrades({ ...shared, ...upgrades, ...timeout }))
  proxy.on('connect', refuseConnects(shared))
  return {
    server: proxy,
    registry: metrics.registry,
    drain: () => {
      draining = true
      fast.closeIdle()
    },
    cut: () => {
      fast.cut()
      proxy.closeAllConnections()
      for (const tunnel of tunnels) tunnel.destroy()
    },
    release: () => {
      fast.close()
      return upstream.close()
    },
  }
}
