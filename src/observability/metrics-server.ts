// Prometheus metrics on their own plain-HTTP port, apart from the TLS port the API server calls,
// so that scraping needs no certificate and never competes with reviews for a connection.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import {
  CONNECTION_LIMITS,
  type ConnectionLimits,
  METRICS_MAX_CONNECTIONS,
} from '../server-limits.ts'

export interface MetricsServer {
  port: number
  close(): Promise<void>
}

/**
 * Serves GET /metrics from `registry` on host:port (0 picks a free port). `limits` replaces
 * some of the webhook's CONNECTION_LIMITS; of them, the port takes the head deadline, which is
 * also that of a whole request (it reads no body), and the cap, by default METRICS_MAX_CONNECTIONS.
 */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
  limits: Partial<ConnectionLimits> = {},
): Promise<MetricsServer> {
  const { headTimeoutMs, checkIntervalMs, maxConnections } = {
    ...CONNECTION_LIMITS,
    maxConnections: METRICS_MAX_CONNECTIONS,
    ...limits,
  }
  const deadlines = {
    headersTimeout: headTimeoutMs,
    requestTimeout: headTimeoutMs,
    connectionsCheckingInterval: checkIntervalMs,
  }
  const server: Server = createServer(deadlines, (request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    )
  })
  server.maxConnections = maxConnections
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
