// The meter's Prometheus metrics, on a registry each meter owns (never prom-client's global one),
// so that several meters can run in one process, as the tests do. Names follow the Prometheus
// conventions: a `meter_` prefix, base units (seconds, bytes) in the name, `_total` on counters.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** How a request to the app failed: no connection, too long a silence, or a broken connection. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset'

/** Why a client's head never became a request. */
export type ClientErrorKind = 'head_timeout' | 'too_large' | 'malformed'

/** The meter's instruments for the requests of one method and one route. */
export interface Series {
  /** The response was sent completely, whoever produced it (the app, or the meter's 502/504). */
  completed(status: number, seconds: number): void
  /** The client went away before the response was complete. */
  aborted(): void
  requestBytes(bytes: number): void
  responseBytes(bytes: number): void
}

/** A count that goes up and down, read when Prometheus scrapes. */
export interface Tally {
  inc(): void
  dec(): void
}

export interface MeterMetrics {
  readonly registry: Registry
  readonly inFlight: Tally
  series(method: string, route: string): Series
  upstreamError(kind: UpstreamErrorKind): void
  /** A connection was closed on arrival: the meter held as many as it takes. */
  connectionDropped(): void
  /** Node's parser refused a client's head and closed its connection. */
  clientError(kind: ClientErrorKind): void
}

// Standard methods (RFC 9110 section 9 and PATCH, RFC 5789); any other token a client may send
// is `OTHER`, so the method label stays bounded too.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'])
METHODS.add('PATCH')
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const

// Prometheus' default buckets start at 5 ms; a sidecar in front of fast apps needs finer ones
// below that, and a 30 s bucket for the upstream timeout's neighbourhood.
const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]

/** The method label: a standard method as sent, anything else `OTHER`. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'OTHER'
}

/** Creates the meter's metrics, with Node's process metrics, on a registry of their own. */
export function createMeterMetrics(): MeterMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const instruments = createInstruments(registry)
  // The label values of a series are fixed, so each instrument is resolved once per method and
  // route instead of on every request. Both labels are bounded, and so is this map.
  const cache = new Map<string, Series>()
  return {
    registry,
    inFlight: instruments.inFlight.tally,
    series: (method, route) => {
      const key = `${method} ${route}`
      let found = cache.get(key)
      if (!found) {
        found = bindSeries(instruments, method, route)
        cache.set(key, found)
      }
      return found
    },
    upstreamError: (kind) => instruments.upstreamErrors.labels(kind).inc(),
    connectionDropped: () => instruments.droppedConnections.inc(),
    clientError: (kind) => instruments.clientErrors.labels(kind).inc(),
  }
}

type Instruments = ReturnType<typeof createInstruments>

function bindSeries(instruments: Instruments, method: string, route: string): Series {
  const byClass = STATUS_CLASSES.map((c) => instruments.requests.labels(method, c, route))
  const duration = instruments.duration.labels(method, route)
  const aborted = instruments.aborts.labels(method, route)
  const received = instruments.requestBytes.labels(route)
  const sent = instruments.responseBytes.labels(route)
  return {
    completed: (status, seconds) => {
      ;(byClass[Math.floor(status / 100) - 1] ?? byClass[4])?.inc()
      duration.observe(seconds)
    },
    aborted: () => aborted.inc(),
    requestBytes: (bytes) => received.inc(bytes),
    responseBytes: (bytes) => sent.inc(bytes),
  }
}

function createInstruments(registry: Registry) {
  const registers = [registry]
  const upstreamErrors = new Counter({
    name: 'meter_upstream_errors_total',
    help: 'Requests to the app that failed: connect (refused or unreachable), timeout (silent for longer than --upstream-timeout) or reset (the connection broke).',
    labelNames: ['kind'] as const,
    registers,
  })
  const clientErrors = new Counter({
    name: 'meter_http_client_errors_total',
    help: 'Client connections closed with an answer from the HTTP parser, before any request reached the app: head_timeout (408, the head did not arrive in time), too_large (431, too large a head; 413, too long chunk extensions) or malformed (400, not HTTP/1.1).',
    labelNames: ['kind'] as const,
    registers,
  })
  // Zero from the start, so that rate() and alerts see the first error.
  for (const kind of ['connect', 'timeout', 'reset']) upstreamErrors.labels(kind).inc(0)
  for (const kind of ['head_timeout', 'too_large', 'malformed']) clientErrors.labels(kind).inc(0)
  return {
    upstreamErrors,
    clientErrors,
    requests: new Counter({
      name: 'meter_http_requests_total',
      help: 'Requests whose response was sent completely, by method, status class and route (the configured path template, or other). Includes the 502 and 504 answers of the meter itself.',
      labelNames: ['method', 'status_class', 'route'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'meter_http_request_duration_seconds',
      help: 'Time from the request head arriving at the meter to the last byte of the response being handed to the client connection, for requests counted in meter_http_requests_total.',
      labelNames: ['method', 'route'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    aborts: new Counter({
      name: 'meter_http_client_aborts_total',
      help: 'Requests whose client closed the connection before the response was complete; the request to the app is cancelled too.',
      labelNames: ['method', 'route'] as const,
      registers,
    }),
    requestBytes: new Counter({
      name: 'meter_http_request_bytes_total',
      help: 'Request body bytes received from clients (without chunked framing), by route; upgraded (WebSocket) traffic from clients included.',
      labelNames: ['route'] as const,
      registers,
    }),
    responseBytes: new Counter({
      name: 'meter_http_response_bytes_total',
      help: 'Response body bytes sent to clients (without chunked framing), by route; upgraded (WebSocket) traffic to clients and the bodies of the answers the meter gives itself (400, 405, 502, 504) included.',
      labelNames: ['route'] as const,
      registers,
    }),
    droppedConnections: new Counter({
      name: 'meter_connections_dropped_total',
      help: 'Client connections closed as soon as they were accepted, unanswered, because the meter already held as many as it takes (WebSocket tunnels included).',
      registers,
    }),
    inFlight: inFlightGauge(registers),
  }
}

// The number of requests in flight is a plain number, set on the gauge only when it is scraped,
// rather than two updates of a prom-client gauge (each through its label hashing) per request
// for a value read once per scrape.
function inFlightGauge(registers: Registry[]) {
  let count = 0
  const gauge = new Gauge({
    name: 'meter_http_requests_in_flight',
    help: 'Requests received whose response is not complete yet.',
    registers,
    collect() {
      this.set(count)
    },
  })
  const tally: Tally = {
    inc: () => {
      count++
    },
    dec: () => {
      count--
    },
  }
  return { gauge, tally }
}
