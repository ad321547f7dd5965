// The meter's lifecycle: the proxy's server and the metrics port, started together, and a
// graceful stop that drains in-flight requests before closing anything.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { Pool } from 'undici'
import { adminRequests } from './admin.ts'
import { answerClientErrors } from './client-errors.ts'
import type { MeterConfig } from './config.ts'
import { refuseConnects } from './connect.ts'
import { type FrontFactory, startFrontMeter } from './front-meter.ts'
import { h2Front } from './h2-front.ts'
import { CLIENT_LIMITS, type ClientLimits, metricsServerOptions, serverOptions } from './limits.ts'
import { createMeterMetrics, type MeterMetrics } from './metrics.ts'
import { proxyRequests } from './proxy.ts'
import { compileRoutes } from './routes.ts'
import { tcpFront } from './tcp-relay.ts'
import { proxyUpgrades, shouldTunnel } from './tunnel.ts'

// The protocols other than HTTP/1.1, each with a proxy of its own; HTTP/1.1 is built below.
const FRONTS: Record<Exclude<MeterConfig['protocol'], 'http'>, FrontFactory> = {
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
export async function startMeter(
  config: Readonly<MeterConfig>,
  log: Logger,
  limits: Partial<ClientLimits> = {},
): Promise<RunningMeter> {
  if (config.protocol !== 'http')
    return startFrontMeter(config, log, { ...CLIENT_LIMITS, ...limits }, FRONTS[config.protocol])
  let draining = false
  const parts = build(config, log, { ...CLIENT_LIMITS, ...limits }, () => draining)
  const { proxy, admin, metrics } = parts
  try {
    await listen(proxy, config.listen.port, config.listen.host)
    await listen(admin, config.metricsPort, config.listen.host)
  } catch (error) {
    proxy.close()
    admin.close()
    await parts.upstream.destroy()
    throw error
  }
  const proxyAddress = proxy.address() as AddressInfo
  const metricsAddress = admin.address() as AddressInfo
  log.info({ proxy: proxyAddress, metrics: metricsAddress, upstream: config.upstream }, 'metering')
  let stopped: Promise<void> | undefined
  const stop = () => {
    draining = true
    stopped ??= drain(parts, config.drainTimeoutMs, log)
    return stopped
  }
  return { proxyAddress, metricsAddress, metrics, stop }
}

interface Parts {
  proxy: Server
  admin: Server
  upstream: Pool
  tunnels: Set<Duplex>
  metrics: MeterMetrics
}

/** The servers, the pool to the app and the metrics, wired together but not listening. */
function build(
  config: Readonly<MeterConfig>,
  log: Logger,
  limits: Readonly<ClientLimits>,
  draining: () => boolean,
): Parts {
  const upstream = new Pool(config.upstream, {
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: config.upstreamTimeoutMs,
  })
  const metrics = createMeterMetrics()
  const tunnels = new Set<Duplex>()
  const shared = { metrics, route: compileRoutes(config.routes), log, draining }
  const proxy = createServer(
    { ...serverOptions(limits), shouldUpgradeCallback: shouldTunnel },
    proxyRequests({ ...shared, upstream, closeIdle: () => proxy.closeIdleConnections() }),
  )
  proxy.maxConnections = limits.maxConnections
  proxy.on('drop', () => metrics.connectionDropped())
  proxy.on('clientError', answerClientErrors(metrics))
  const { hostname, port } = new URL(config.upstream)
  const upgrades = { upstream: { hostname, port: Number(port) }, tunnels }
  const timeout = { upstreamTimeoutMs: config.upstreamTimeoutMs }
  proxy.on('upgrade', proxyUpgrades({ ...shared, ...upgrades, ...timeout }))
  proxy.on('connect', refuseConnects(shared))
  const admin = createServer(
    metricsServerOptions(limits),
    adminRequests({ registry: metrics.registry, ready: () => !draining() }),
  )
  admin.maxConnections = limits.maxMetricsConnections
  return { proxy, admin, upstream, tunnels, metrics }
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host)
  await once(server, 'listening')
}

async function drain(parts: Parts, timeoutMs: number, log: Logger): Promise<void> {
  const { proxy, admin, tunnels, upstream } = parts
  log.info({ timeoutMs }, 'draining')
  // close() stops accepting and closes idle keep-alive connections; busy ones close after their
  // response (marked Connection: close while draining), upgraded ones when their tunnel ends.
  const closed = new Promise<void>((resolve) => proxy.close(() => resolve()))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'timeout')
  })
  if ((await Promise.race([closed, deadline])) === 'timeout') {
    log.warn({ tunnels: tunnels.size }, 'drain timed out: cutting the remaining connections')
    proxy.closeAllConnections()
    for (const tunnel of tunnels) tunnel.destroy()
    await closed
  }
  clearTimeout(timer)
  await upstream.close()
  admin.closeAllConnections()
  await new Promise<void>((resolve) => admin.close(() => resolve()))
  log.info('drained')
}
