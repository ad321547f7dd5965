// The lifecycle of a meter, whatever its protocol: its front, the server clients connect to,
// started with the metrics port, and one drain:
// readiness fails, the front stops accepting and asks its clients to finish, what is still open
// when the drain timeout ends is cut, and the metrics port closes last.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo, Server } from 'node:net'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { adminRequests } from './admin.ts'
import type { MeterConfig } from './config.ts'
import { type ClientLimits, metricsServerOptions } from './limits.ts'
import type { RunningMeter } from './meter.ts'

/** A protocol's proxy: its server, not listening yet, and how to end its connections. */
export interface Front {
  readonly server: Server
  readonly registry: Registry
  /** Asks every client connection to finish what it carries (HTTP/2: GOAWAY); no new ones come. */
  drain(): void
  /** Cuts every client connection still open, and its counterpart to the app. */
  cut(): void
  /** Releases what the front holds towards the app (connections kept for reuse). */
  release(): Promise<void>
}

/** Builds a protocol's front from the meter's configuration. */
export type FrontFactory = (
  config: Readonly<MeterConfig>,
  log: Logger,
  limits: Readonly<ClientLimits>,
) => Front

/** Starts `front` and the metrics port; rejects (with nothing left open) if either cannot listen. */
export async function startFrontMeter(
  config: Readonly<MeterConfig>,
  log: Logger,
  limits: Readonly<ClientLimits>,
  create: FrontFactory,
): Promise<RunningMeter> {
  let draining = false
  const front = create(config, log, limits)
  const admin = createServer(
    metricsServerOptions(limits),
    adminRequests({ registry: front.registry, ready: () => !draining }),
  )
  admin.maxConnections = limits.maxMetricsConnections
  try {
    await listen(front.server, config.listen.port, config.listen.host)
    await listen(admin, config.metricsPort, config.listen.host)
  } catch (error) {
    front.server.close()
    admin.close()
    await front.release()
    throw error
  }
  const proxyAddress = front.server.address() as AddressInfo
  const metricsAddress = admin.address() as AddressInfo
  const { protocol, upstream } = config
  log.info({ protocol, proxy: proxyAddress, metrics: metricsAddress, upstream }, 'metering')
  let stopped: Promise<void> | undefined
  const stop = () => {
    draining = true
    stopped ??= drain(front, config.drainTimeoutMs, log).then(() => closeAdmin(admin))
    return stopped
  }
  return { proxyAddress, metricsAddress, metrics: { registry: front.registry }, stop }
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host)
  await once(server, 'listening')
}

async function drain(front: Front, timeoutMs: number, log: Logger): Promise<void> {
  log.info({ timeoutMs }, 'draining')
  // close() stops accepting; its callback waits for every client connection to close.
  const closed = new Promise<void>((resolve) => front.server.close(() => resolve()))
  front.drain()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'timeout')
  })
  if ((await Promise.race([closed, deadline])) === 'timeout') {
    log.warn('drain timed out: cutting the remaining connections')
    front.cut()
    await closed
  }
  clearTimeout(timer)
  await front.release()
  log.info('drained')
}

async function closeAdmin(admin: ReturnType<typeof createServer>): Promise<void> {
  admin.closeAllConnections()
  await new Promise<void>((resolve) => admin.close(() => resolve()))
}
