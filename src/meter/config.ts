// `sidecar-patterns meter` options: parsed once from the command line, every error reported with
// the flag it concerns, then frozen. Nothing else in the meter reads flags or the environment.
import { DURATION_EXAMPLES, durationError, parseDuration } from '../shared/duration.ts'
import { type FlagValues, type Parsed, readFlags } from '../shared/flags.ts'
import {
  LOG_LEVEL_HELP,
  LOG_LEVEL_OPTION,
  type LogLevel,
  parseLogLevel,
} from '../shared/log-levels.ts'
import { parseRoutes } from '../shared/route-templates.ts'

/** What the meter speaks with clients and the app: HTTP/1.1 (and WebSocket upgrades), HTTP/2
 *  cleartext with prior knowledge, gRPC over it, or bytes it relays without reading them. */
export const METER_PROTOCOLS = ['http', 'http2', 'grpc', 'tcp'] as const
export type MeterProtocol = (typeof METER_PROTOCOLS)[number]

export interface MeterConfig {
  /** The protocol both sides speak; it decides the proxy and the family of metrics. */
  protocol: MeterProtocol
  /** Where clients connect: the port a Service targets (named meter-http). */
  listen: { host: string; port: number }
  /** The app's origin, `http://HOST:PORT`, always plain HTTP on the Pod's loopback. */
  upstream: string
  /** Serves /metrics, /healthz and /readyz, on the same host as `listen`. */
  metricsPort: number
  /** Path templates that become the `route` label; anything else is `other`. */
  routes: readonly string[]
  /** The longest the app may stay silent while a response is due (headers or body). */
  upstreamTimeoutMs: number
  /** The longest a graceful shutdown waits for in-flight requests before cutting them. */
  drainTimeoutMs: number
  logLevel: LogLevel
}

export const METER_USAGE = `Usage: sidecar-patterns meter --listen HOST:PORT --upstream http://HOST:PORT
                             --metrics-port N [options]

Runs the metering reverse proxy (the metrics sidecar): forwards every request on --listen to the
app at --upstream and serves Prometheus metrics about them on --metrics-port (GET /metrics,
/healthz, /readyz).

Options:
  --listen HOST:PORT        address clients connect to, e.g. 0.0.0.0:15080 (required)
  --upstream URL            the app, http://HOST:PORT, e.g. http://127.0.0.1:8080 (required;
                            with tcp only its host and port are used)
  --metrics-port N          port for /metrics, /healthz and /readyz, on the --listen host
                            (required)
  --protocol PROTOCOL       http (HTTP/1.1, the default), http2 (h2c, prior knowledge), grpc
                            (gRPC over h2c) or tcp (bytes relayed as they are, unread)
  --route TEMPLATE[,...]    path templates for the route label, e.g. /api/users/:id or
                            /static/*; repeatable or comma-separated, first match wins,
                            requests that match none are "other"; gRPC without
                            templates labels by /package.Service/Method, up to 100;
                            tcp has no routes and ignores them
  --upstream-timeout TIME   the longest the app may stay silent while a response is due
                            (default 30s; 504 before the response starts); http2: until
                            the response head; grpc: not applied (calls carry deadlines);
                            tcp: the connection to the app
  --drain-timeout TIME      on SIGTERM, the longest to wait for in-flight requests (default 20s)
  --log-level LEVEL         ${LOG_LEVEL_HELP}
  -h, --help                show this help

A port of 0 picks a free one. TIME is a duration such as ${DURATION_EXAMPLES} (or 500ms).`

type Values = FlagValues
type Check<T> = { value: T } | { error: string }

/** Parses `meter` arguments into a frozen configuration, or every error found. */
export function parseMeterArgs(args: readonly string[]): Parsed<Readonly<MeterConfig>> {
  return readFlags(
    args,
    {
      listen: { type: 'string' },
      protocol: { type: 'string', default: 'http' },
      upstream: { type: 'string' },
      'metrics-port': { type: 'string' },
      route: { type: 'string', multiple: true, default: [] },
      'upstream-timeout': { type: 'string', default: '30s' },
      'drain-timeout': { type: 'string', default: '20s' },
      ...LOG_LEVEL_OPTION,
    },
    validate,
  )
}

function validate(values: Values): Parsed<Readonly<MeterConfig>> {
  const text = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined)
  const checks = {
    listen: required(text('listen'), hostPort),
    protocol: protocol(text('protocol') ?? ''),
    upstream: required(text('upstream'), origin),
    'metrics-port': required(text('metrics-port'), port),
    route: routes(Array.isArray(values.route) ? values.route : []),
    'upstream-timeout': duration(text('upstream-timeout') ?? ''),
    'drain-timeout': duration(text('drain-timeout') ?? ''),
    'log-level': logLevel(values['log-level']),
  }
  const errors = Object.entries(checks).flatMap(([flag, check]) =>
    'error' in check ? [`--${flag}: ${check.error}`] : [],
  )
  const v = valuesOf(checks)
  if (v && v.listen.port !== 0 && v.listen.port === v['metrics-port'])
    errors.push(`--metrics-port: ${v['metrics-port']} is also the --listen port`)
  if (!v || errors.length) return { ok: false, errors }
  return {
    ok: true,
    value: Object.freeze({
      protocol: v.protocol,
      listen: Object.freeze(v.listen),
      upstream: v.upstream,
      metricsPort: v['metrics-port'],
      routes: Object.freeze(v.route),
      upstreamTimeoutMs: v['upstream-timeout'],
      drainTimeoutMs: v['drain-timeout'],
      logLevel: v['log-level'],
    }),
  }
}

/** The checked values, if every check passed. */
function valuesOf<T extends Record<string, Check<unknown>>>(
  checks: T,
): { [K in keyof T]: T[K] extends Check<infer V> ? V : never } | undefined {
  const entries = Object.entries(checks)
  if (entries.some(([, check]) => 'error' in check)) return undefined
  return Object.fromEntries(
    entries.map(([key, check]) => [key, (check as { value: unknown }).value]),
  ) as { [K in keyof T]: T[K] extends Check<infer V> ? V : never }
}

function required<T>(raw: string | undefined, check: (raw: string) => Check<T>): Check<T> {
  return raw === undefined ? { error: 'is required' } : check(raw)
}

function port(raw: string): Check<number> {
  const n = /^(?:0|[1-9][0-9]{0,4})$/.test(raw) ? Number(raw) : Number.NaN
  return n <= 65535 ? { value: n } : { error: `"${raw}" is not a port (0-65535)` }
}

/** HOST:PORT, where HOST is a name, an IPv4 address or a bracketed IPv6 address. */
function hostPort(raw: string): Check<{ host: string; port: number }> {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):([0-9]+)$/.exec(raw)
  if (!match) return { error: `"${raw}" is not HOST:PORT, such as 0.0.0.0:15080` }
  const checked = port(match[3] ?? '')
  if ('error' in checked) return checked
  return { value: { host: match[1] ?? match[2] ?? '', port: checked.value } }
}

/** An http origin with an explicit port and nothing else: the app on the Pod's loopback. */
function origin(raw: string): Check<string> {
  const expected = `"${raw}" is not an http://HOST:PORT origin, such as http://127.0.0.1:8080`
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { error: expected }
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password
  if (url.protocol !== 'http:' || !bare || url.port === '' || !/:\d+\/?$/.test(raw))
    return { error: expected }
  return { value: url.origin }
}

function duration(raw: string): Check<number> {
  const error = durationError(raw, 1)
  return error === undefined ? { value: parseDuration(raw) ?? 0 } : { error }
}

// The webhook checks patterns/metrics.routes by the same rule, so a Pod it admits starts.
function routes(values: readonly string[]): Check<string[]> {
  const list = parseRoutes(values)
  return list.ok ? { value: list.routes } : { error: list.errors.join('; ') }
}

function protocol(raw: string): Check<MeterProtocol> {
  const found = METER_PROTOCOLS.find((p) => p === raw)
  return found
    ? { value: found }
    : { error: `"${raw}" is not one of ${METER_PROTOCOLS.join(', ')}` }
}

function logLevel(raw: Values[string]): Check<LogLevel> {
  const parsed = parseLogLevel(raw)
  return 'level' in parsed ? { value: parsed.level } : parsed
}
