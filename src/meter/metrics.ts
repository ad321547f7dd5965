// The meter's Prometheus metrics, on a registry each meter owns (never prom-client's global one),
// so that several meters can run in one process, as the tests do. One family of request metrics
// per protocol that has requests, named by the scheme in base-metrics.ts: `meter_http_*` for
// HTTP/1.1 and HTTP/2 alike, `meter_grpc_*` for gRPC, with the same names after the prefix,
// the same labels, and a `grpc_status` besides.
import { Counter, Gauge, Registry } from 'prom-client'
import { type BaseMetrics, createBaseMetrics, type UpstreamErrorKind } from './base-metrics.ts'
import { DeferredCounts } from './deferred-counts.ts'
import { SeriesHistogram } from './series-histogram.ts'

export type { UpstreamErrorKind }

/** Which family of request metrics a meter exports. */
export type RequestFamily = 'http' | 'grpc'

/** Why a client's head never became a request. */
export type ClientErrorKind = 'head_timeout' | 'too_large' | 'malformed'

/** The meter's instruments for the requests of one method and one route. */
export interface Series {
  /** The response was sent completely, whoever produced it (the app, or the meter's 502/504);
   *  `grpcStatus` is the call's grpc-status label (grpcStatusLabel), for gRPC only. */
  completed(status: number, seconds: number, grpcStatus?: string): void
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

export interface MeterMetrics extends BaseMetrics {
  readonly registry: Registry
  readonly inFlight: Tally
  series(method: string, route: string): Series
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
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]

/** The method label: a standard method as sent, anything else `OTHER`. */
export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'OTHER'
}

/** Creates the meter's metrics for `family`, with the process metrics, on a registry of their own. */
export function createMeterMetrics(family: RequestFamily = 'http'): MeterMetrics {
  const registry = new Registry()
  const base = createBaseMetrics(registry)
  const instruments = createInstruments(registry, family)
  // The label values of a series are fixed, so each instrument is resolved once per method and
  // route instead of on every request. Both labels are bounded, and so is this map.
  const cache = new Map<string, Map<string, Series>>()
  return {
    registry,
    inFlight: instruments.inFlight.tally,
    series: (method, route) => {
      let byRoute = cache.get(method)
      if (!byRoute) {
        byRoute = new Map()
        cache.set(method, byRoute)
      }
      let found = byRoute.get(route)
      if (!found) {
        found = bindSeries(instruments, method, route)
        byRoute.set(route, found)
      }
      return found
    },
    ...base,
    clientError: (kind) => instruments.clientErrors.labels(kind).inc(),
  }
}

type Instruments = ReturnType<typeof createInstruments>

function bindSeries(instruments: Instruments, method: string, route: string): Series {
  // gRPC's series have a grpc_status too, resolved per call; HTTP's are all known up front.
  const { tallies } = instruments
  const byClass =
    instruments.family === 'http'
      ? STATUS_CLASSES.map((c) =>
          tallies.requests.of(instruments.requests.labels(method, c, route)),
        )
      : []
  const duration = instruments.duration.series(method, route)
  const aborted = instruments.aborts.labels(method, route)
  const received = tallies.requestBytes.of(instruments.requestBytes.labels(route))
  const sent = tallies.responseBytes.of(instruments.responseBytes.labels(route))
  return {
    completed: (status, seconds, grpcStatus) => {
      if (grpcStatus === undefined) (byClass[Math.floor(status / 100) - 1] ?? byClass[4])?.add(1)
      else instruments.requests.labels(method, classOf(status), grpcStatus, route).inc()
      duration(seconds)
    },
    aborted: () => aborted.inc(),
    requestBytes: (bytes) => received.add(bytes),
    responseBytes: (bytes) => sent.add(bytes),
  }
}

function classOf(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100) - 1] ?? '5xx'
}

function createInstruments(registry: Registry, family: RequestFamily) {
  const registers = [registry]
  const help = HELP[family]
  const clientErrors = new Counter({
    name: `meter_${family}_client_errors_total`,
    help: help.clientErrors,
    labelNames: ['kind'] as const,
    registers,
  })
  // Zero from the start, so that rate() and alerts see the first error.
  for (const kind of ['head_timeout', 'too_large', 'malformed']) clientErrors.labels(kind).inc(0)
  // gRPC calls have a status of their own beside the HTTP one; it goes before the route, so
  // that the label order of both families reads alike.
  const requestLabels =
    family === 'grpc'
      ? ['method', 'status_class', 'grpc_status', 'route']
      : ['method', 'status_class', 'route']
  // Requests and bytes are counted on every request: their increments wait for the scrape.
  const tallies = {
    requests: new DeferredCounts(),
    requestBytes: new DeferredCounts(),
    responseBytes: new DeferredCounts(),
  }
  return {
    family,
    clientErrors,
    tallies,
    requests: new Counter({
      name: `meter_${family}_requests_total`,
      help: help.requests,
      labelNames: requestLabels,
      registers,
      collect: () => tallies.requests.flush(),
    }),
    // Observed on every request: a histogram of plain numbers, read at the scrape.
    duration: new SeriesHistogram({
      name: `meter_${family}_request_duration_seconds`,
      help: help.duration,
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
      registry,
    }),
    aborts: new Counter({
      name: `meter_${family}_client_aborts_total`,
      help: help.aborts,
      labelNames: ['method', 'route'] as const,
      registers,
    }),
    requestBytes: new Counter({
      name: `meter_${family}_request_bytes_total`,
      help: help.requestBytes,
      labelNames: ['route'] as const,
      registers,
      collect: () => tallies.requestBytes.flush(),
    }),
    responseBytes: new Counter({
      name: `meter_${family}_response_bytes_total`,
      help: help.responseBytes,
      labelNames: ['route'] as const,
      registers,
      collect: () => tallies.responseBytes.flush(),
    }),
    inFlight: inFlightGauge(`meter_${family}_requests_in_flight`, help.inFlight, registers),
  }
}

// The number of requests in flight is a plain number, set on the gauge only when it is scraped,
// rather than two updates of a prom-client gauge (each through its label hashing) per request
// for a value read once per scrape.
function inFlightGauge(name: string, help: string, registers: Registry[]) {
  let count = 0
  const gauge = new Gauge({
    name,
    help,
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

type Help = Record<
  | 'clientErrors'
  | 'requests'
  | 'duration'
  | 'aborts'
  | 'requestBytes'
  | 'responseBytes'
  | 'inFlight',
  string
>

// The HELP text of each instrument, which says what exactly each protocol counts.
const HELP: Record<RequestFamily, Help> = {
  http: {
    clientErrors:
      'Client connections closed with an answer from the HTTP parser, before any request reached the app: head_timeout (408, the head did not arrive in time), too_large (431, too large a head; 413, too long chunk extensions) or malformed (400, not HTTP/1.1; for HTTP/2, a connection that broke the protocol).',
    requests:
      'Requests whose response was sent completely, by method, status class and route (the configured path template, or other). Includes the 502 and 504 answers of the meter itself.',
    duration:
      'Time from the request head arriving at the meter to the last byte of the response being handed to the client connection, for requests counted in meter_http_requests_total.',
    aborts:
      'Requests whose client closed the connection (for HTTP/2, reset the stream) before the response was complete; the request to the app is cancelled too.',
    requestBytes:
      'Request body bytes received from clients (without chunked framing), by route; upgraded (WebSocket) traffic from clients included.',
    responseBytes:
      'Response body bytes sent to clients (without chunked framing), by route; upgraded (WebSocket) traffic to clients and the bodies of the answers the meter gives itself (400, 405, 502, 504) included.',
    inFlight: 'Requests received whose response is not complete yet.',
  },
  grpc: {
    clientErrors:
      'Client connections closed by the meter because they broke the HTTP/2 protocol (malformed: bytes that are not HTTP/2, a bad preface or frame); head_timeout and too_large are HTTP/1.1 kinds, exported as 0.',
    requests:
      'Calls whose response was sent completely (streaming calls once, when they end), by method, HTTP status class, grpc-status (from the trailers, or the headers of a trailers-only response; none when absent) and route (the configured template, else the /package.Service/Method path, or other). Includes the UNAVAILABLE answers of the meter itself.',
    duration:
      'Time from the call arriving at the meter to its end (the last message and the trailers handed to the client connection), for calls counted in meter_grpc_requests_total.',
    aborts:
      'Calls that the client cancelled (reset the stream) or left before the response was complete; the call to the app is cancelled too.',
    requestBytes:
      'Bytes of DATA frames received from clients (length-prefixed messages), by route.',
    responseBytes: 'Bytes of DATA frames sent to clients (length-prefixed messages), by route.',
    inFlight: 'Calls received whose response is not complete yet.',
  },
}
