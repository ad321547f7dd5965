// What every meter exports, whatever its protocol: the process metrics, the app's failures and
// the connections refused at the cap. The names follow one scheme for all protocols:
// `meter_<protocol>_<what>_<unit>` for what is measured per protocol (`http` for HTTP/1.1 and
// HTTP/2, `grpc`, `tcp`), `meter_<what>` for what all share, base units (seconds, bytes) in
// the name, `_total` on counters and on nothing else (what `promtool check metrics` checks).
import { Counter, collectDefaultMetrics, type Registry } from 'prom-client'

/** How a request (or connection) to the app failed: no connection, too long a silence, or a
 *  broken connection. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset'

/** The instruments every meter has. */
export interface BaseMetrics {
  upstreamError(kind: UpstreamErrorKind): void
  /** A connection was closed on arrival: the meter held as many as it takes. */
  connectionDropped(): void
}

// prom-client's gauges of active handles, requests and resources in total end in `_total`,
// which Prometheus keeps for counters: promtool refuses them, and rate() over them would be
// taken for a counter's. The same numbers are the sum over the `type` label of the gauges
// without the suffix (nodejs_active_handles and the others), which stay.
const GAUGES_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

/** Registers the process metrics and the shared instruments on `registry`. */
export function createBaseMetrics(registry: Registry): BaseMetrics {
  collectDefaultMetrics({ register: registry })
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name)
  const registers = [registry]
  const upstreamErrors = new Counter({
    name: 'meter_upstream_errors_total',
    help: 'Requests (for tcp, connections) to the app that failed: connect (refused or unreachable), timeout (silent for longer than --upstream-timeout) or reset (the connection or stream broke).',
    labelNames: ['kind'] as const,
    registers,
  })
  // Zero from the start, so that rate() and alerts see the first error.
  for (const kind of ['connect', 'timeout', 'reset']) upstreamErrors.labels(kind).inc(0)
  const droppedConnections = new Counter({
    name: 'meter_connections_dropped_total',
    help: 'Client connections closed as soon as they were accepted, unanswered, because the meter already held as many as it takes (WebSocket tunnels included).',
    registers,
  })
  return {
    upstreamError: (kind) => upstreamErrors.labels(kind).inc(),
    connectionDropped: () => droppedConnections.inc(),
  }
}
