// What the app port speaks, known before a proxy is put in front of it. A proxy that speaks
// HTTP/1.1 in front of redis or a gRPC server breaks every connection, so the port's protocol is
// read from what the Pod already says, in this order:
//   1. the proxy's explicit protocol parameter (patterns/metrics.protocol);
//   2. the port's name, by the convention Istio reads (`<protocol>[-<suffix>]`, e.g. `grpc-api`,
//      `redis-server`; istio/istio pkg/config/kube/conversion.go ConvertProtocol and
//      pkg/config/protocol/instance.go Parse; https://istio.io/latest/docs/ops/configuration/
//      traffic-management/protocol-selection/), plus the names of common databases and brokers;
//   3. the Pod's own probes of that port: the kubelet's `grpc` probe speaks gRPC, its `httpGet`
//      HTTP/1.1, or TLS with `scheme: HTTPS`;
//   4. the well-known port of a database or broker (redis 6379, mysql 3306, ...);
//   5. else HTTP/1.1, as before this was known.
// Each step reads a bounded name (a valid port name has at most 15 characters) or one number, so
// the cost is one pass over the app containers' ports and probes.
import { httpGetPortOf } from './app-port.ts'
import type { Container } from './pod.ts'

/**
 * How a proxy handles a port: `http` is HTTP/1.1, `http2` and `grpc` HTTP/2 cleartext (h2c),
 * `tcp` bytes it does not parse (databases, brokers, TLS it cannot read).
 */
export const PROTOCOLS = ['http', 'http2', 'grpc', 'tcp'] as const
export type Protocol = (typeof PROTOCOLS)[number]

/** A protocol and, for a warning, what it was read from ("port 6379 named redis"). */
export interface KnownProtocol {
  protocol: Protocol
  source: string
  /** Whether nothing said it: HTTP/1.1 by default. */
  assumed: boolean
}

/** Whether a string is one of PROTOCOLS. */
export function isProtocol(value: unknown): value is Protocol {
  return PROTOCOLS.includes(value as Protocol)
}

// Istio's protocol names (Parse), as the proxies here handle them: TLS cannot be read by a proxy
// that does not terminate it, so `https` and `tls` are bytes; `grpc-web` is made for HTTP/1.1
// clients (browsers); Istio's experimental mongo, mysql and redis are TCP unless enabled.
const ISTIO: Readonly<Record<string, Protocol>> = {
  http: 'http',
  http2: 'http2',
  grpc: 'grpc',
  'grpc-web': 'http',
  tcp: 'tcp',
  tls: 'tcp',
  https: 'tcp',
  mongo: 'tcp',
  mysql: 'tcp',
  redis: 'tcp',
}

// Databases and brokers: the names people give their ports, and the ports they are known by.
// Each speaks its own protocol over TCP, which only a proxy that does not parse it can carry.
const WELL_KNOWN: readonly { name: string; names: readonly string[]; ports: readonly number[] }[] =
  [
    { name: 'redis', names: ['redis', 'sentinel'], ports: [6379, 26379] },
    { name: 'mysql', names: ['mysql', 'mysqlx', 'mariadb', 'galera'], ports: [3306, 33060] },
    { name: 'postgres', names: ['postgres', 'postgresql', 'pg', 'pgsql'], ports: [5432] },
    { name: 'mongo', names: ['mongo', 'mongodb'], ports: [27017] },
    { name: 'Elasticsearch transport', names: ['transport'], ports: [9300] },
    { name: 'kafka', names: ['kafka'], ports: [9092, 9093] },
    { name: 'amqp', names: ['amqp', 'amqps', 'rabbitmq'], ports: [5672, 5671] },
    { name: 'memcached', names: ['memcached', 'memcache'], ports: [11211] },
    { name: 'zookeeper', names: ['zookeeper', 'zk'], ports: [2181, 2888, 3888] },
    { name: 'nats', names: ['nats'], ports: [4222, 6222] },
    { name: 'cassandra', names: ['cql', 'cassandra', 'intra', 'jmx'], ports: [9042] },
    { name: 'cockroachdb', names: ['cockroach', 'cockroachdb'], ports: [26257] },
    { name: 'rethinkdb', names: ['rethinkdb'], ports: [28015, 29015] },
    { name: 'hazelcast', names: ['hazelcast'], ports: [5701] },
    { name: 'the Spark master', names: [], ports: [7077] },
    { name: 'mqtt', names: ['mqtt', 'mqtts'], ports: [1883, 8883] },
    { name: 'sql server', names: ['mssql', 'sqlserver'], ports: [1433] },
    { name: 'oracle', names: ['oracle'], ports: [1521] },
    { name: 'ldap', names: ['ldap', 'ldaps'], ports: [389, 636] },
    { name: 'smtp', names: ['smtp', 'smtps'], ports: [25, 465, 587] },
    { name: 'dns', names: ['dns'], ports: [53] },
    { name: 'ssh', names: ['ssh'], ports: [22] },
    { name: 'TLS', names: [], ports: [443, 6443] },
  ]
// gRPC's well-known ports: its examples' 50051, and OpenTelemetry's OTLP/gRPC receiver.
const GRPC_PORTS: ReadonlyMap<number, string> = new Map([
  [50051, "gRPC's examples"],
  [4317, 'OTLP/gRPC'],
  [55680, 'OTLP/gRPC'],
])

const BY_NAME: ReadonlyMap<string, Protocol> = new Map([
  ...Object.entries(ISTIO),
  ...WELL_KNOWN.flatMap(({ names }) => names.map((n): [string, Protocol] => [n, 'tcp'])),
])
const BY_PORT: ReadonlyMap<number, KnownProtocol> = new Map([
  ...WELL_KNOWN.flatMap(({ name, ports }) =>
    ports.map((port): [number, KnownProtocol] => [
      port,
      { protocol: 'tcp', source: `port ${port}, known for ${name}`, assumed: false },
    ]),
  ),
  ...[...GRPC_PORTS].map(([port, what]): [number, KnownProtocol] => [
    port,
    { protocol: 'grpc', source: `port ${port}, known for ${what}`, assumed: false },
  ]),
])

// A valid port name (IANA_SVC_NAME) has at most 15 characters; a longer one is not trusted into a
// warning, and the API server will refuse the Pod anyway.
const MAX_NAME = 15

/** The protocol a port name says by convention: `grpc`, `grpc-api`, `redis-server`; or none. */
export function protocolOfName(name: string | undefined): Protocol | undefined {
  if (name === undefined || name.length > MAX_NAME) return undefined
  const lower = name.toLowerCase()
  // grpc-web before the prefix, as Istio reads it: it holds a hyphen.
  if (lower === 'grpc-web' || lower.startsWith('grpc-web-')) return 'http'
  const dash = lower.indexOf('-')
  return BY_NAME.get(dash < 0 ? lower : lower.slice(0, dash))
}

/** What `port` of the app containers speaks, and from what that is known. */
export function inferProtocol(app: readonly Container[], port: number): KnownProtocol {
  const named = app
    .flatMap((c) => c.ports ?? [])
    .filter((p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP')
  for (const { name } of named) {
    const protocol = protocolOfName(name)
    if (protocol) return { protocol, source: `port ${port} named ${name}`, assumed: false }
  }
  return (
    probed(app, port) ??
    BY_PORT.get(port) ?? { protocol: 'http', source: `port ${port}`, assumed: true }
  )
}

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const

// A probe's port is resolved as the kubelet does (app-port.ts): a number, or a name of its own
// container's.
function probed(app: readonly Container[], port: number): KnownProtocol | undefined {
  for (const container of app)
    for (const kind of PROBES) {
      const found = probeProtocol(container, asObject(container[kind]), port)
      if (found) return { ...found, assumed: false }
    }
  return undefined
}

function probeProtocol(
  container: Container,
  probe: Record<string, unknown> | undefined,
  port: number,
): Omit<KnownProtocol, 'assumed'> | undefined {
  if (asObject(probe?.grpc)?.port === port)
    return { protocol: 'grpc', source: `port ${port}, probed over gRPC` }
  if (httpGetPortOf(container, probe) !== port) return undefined
  return asObject(probe?.httpGet)?.scheme === 'HTTPS'
    ? { protocol: 'tcp', source: `port ${port}, probed over HTTPS` }
    : { protocol: 'http', source: `port ${port}, probed over HTTP` }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined
}
