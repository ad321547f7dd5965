// What the app port speaks, read from what the Pod already says (src/injection/protocol.ts):
// Istio's port naming, the Pod's own probes, well-known ports, else HTTP/1.1; one row per rule.
import t from 'tap'
import type { Container } from '../../src/injection/pod.ts'
import { inferProtocol, protocolOfName } from '../../src/injection/protocol.ts'

t.test("port names follow Istio's <protocol>[-<suffix>] convention", async (t) => {
  const rows: [string, string | undefined][] = [
    ['http', 'http'],
    ['http-web', 'http'],
    ['HTTP', 'http'],
    ['http2', 'http2'],
    ['http2-api', 'http2'],
    ['grpc', 'grpc'],
    ['grpc-api', 'grpc'],
    // gRPC-Web is made for HTTP/1.1 clients; a prefix with a hyphen, read before the rest.
    ['grpc-web', 'http'],
    ['grpc-web-ui', 'http'],
    ['tcp', 'tcp'],
    ['tcp-health-port', 'tcp'],
    // TLS a proxy does not terminate is bytes to it.
    ['tls', 'tcp'],
    ['https', 'tcp'],
    ['https-admin', 'tcp'],
    ['redis', 'tcp'],
    ['redis-server', 'tcp'],
    ['mysql', 'tcp'],
    ['mongo', 'tcp'],
    // Beyond Istio's list: common databases and brokers.
    ['postgres', 'tcp'],
    ['cql', 'tcp'],
    ['kafka-broker', 'tcp'],
    ['amqp', 'tcp'],
    ['transport', 'tcp'],
    // Names that say nothing, or say it wrongly for Istio (the protocol is the prefix).
    ['web', undefined],
    ['metrics', undefined],
    ['httpforecast', undefined],
    ['foo-http', undefined],
    [undefined, undefined] as unknown as [string, undefined],
    // Longer than a port name can be: not read.
    ['grpc-an-overlong-name', undefined],
  ]
  for (const [name, expected] of rows) t.equal(protocolOfName(name), expected, String(name))
})

const app = (...containers: Container[]) => containers
const c = (extra: Partial<Container>): Container => ({ name: 'app', ...extra })

t.test('the port name decides first, with what it was read from', async (t) => {
  const named = c({ ports: [{ name: 'redis', containerPort: 8080 }] })
  t.same(inferProtocol(app(named), 8080), {
    protocol: 'tcp',
    source: 'port 8080 named redis',
    assumed: false,
  })
  // The name beats a probe and a well-known number.
  const both = c({
    ports: [{ name: 'http', containerPort: 6379 }],
    readinessProbe: { grpc: { port: 6379 } },
  })
  t.equal(inferProtocol(app(both), 6379).protocol, 'http')
  // A UDP port of that number says nothing of the TCP one.
  const udp = c({ ports: [{ name: 'grpc', containerPort: 8080, protocol: 'UDP' }] })
  t.equal(inferProtocol(app(udp), 8080).protocol, 'http')
})

t.test("then the Pod's own probes of that port", async (t) => {
  const grpc = c({ ports: [{ containerPort: 7070 }], livenessProbe: { grpc: { port: 7070 } } })
  t.same(inferProtocol(app(grpc), 7070), {
    protocol: 'grpc',
    source: 'port 7070, probed over gRPC',
    assumed: false,
  })
  const https = c({ readinessProbe: { httpGet: { port: 8443, scheme: 'HTTPS', path: '/' } } })
  t.equal(inferProtocol(app(https), 8443).protocol, 'tcp', 'TLS the proxy cannot read')
  // A named probe port is resolved through its own container, as the kubelet does; an HTTP
  // probe on a well-known database port says HTTP.
  const http = c({
    ports: [{ name: 'web', containerPort: 6379 }],
    startupProbe: { httpGet: { port: 'web', path: '/' } },
  })
  t.same(inferProtocol(app(http), 6379), {
    protocol: 'http',
    source: 'port 6379, probed over HTTP',
    assumed: false,
  })
  const elsewhere = c({ readinessProbe: { grpc: { port: 9000 } } })
  t.equal(inferProtocol(app(elsewhere), 8080).protocol, 'http', 'a probe of another port')
})

t.test('then the well-known port of a database, broker or gRPC', async (t) => {
  const rows: [number, string, string][] = [
    [6379, 'tcp', 'port 6379, known for redis'],
    [3306, 'tcp', 'port 3306, known for mysql'],
    [5432, 'tcp', 'port 5432, known for postgres'],
    [27017, 'tcp', 'port 27017, known for mongo'],
    [9300, 'tcp', 'port 9300, known for Elasticsearch transport'],
    [9092, 'tcp', 'port 9092, known for kafka'],
    [5672, 'tcp', 'port 5672, known for amqp'],
    [11211, 'tcp', 'port 11211, known for memcached'],
    [2181, 'tcp', 'port 2181, known for zookeeper'],
    [4222, 'tcp', 'port 4222, known for nats'],
    [9042, 'tcp', 'port 9042, known for cassandra'],
    [50051, 'grpc', "port 50051, known for gRPC's examples"],
    [4317, 'grpc', 'port 4317, known for OTLP/gRPC'],
  ]
  for (const [port, protocol, source] of rows) {
    const declared = c({ ports: [{ name: 'main', containerPort: port }] })
    t.same(inferProtocol(app(declared), port), { protocol, source, assumed: false }, `${port}`)
  }
})

t.test('else HTTP/1.1, as before, marked as assumed', async (t) => {
  t.same(inferProtocol(app(c({ ports: [{ containerPort: 8080 }] })), 8080), {
    protocol: 'http',
    source: 'port 8080',
    assumed: true,
  })
  t.equal(inferProtocol([], 9200).protocol, 'http', 'an undeclared port')
})
