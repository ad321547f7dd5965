// A proxy that cannot stand in front of the app port (src/injection/not-applicable.ts): one that
// does not speak what the port speaks, and any proxy of a Pod on the host network. Refused where
// the Pod asked for it or a policy refuses Pods it cannot apply to; left out with a warning where a
// namespace default or an admitting policy brought it; the metrics sidecar meters what it can.
import t from 'tap'
import { type Decision, decide } from '../../src/injection/decide.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { builtinCatalog, catalogFrom } from '../helpers/config.ts'

const catalog = catalogFrom({
  name: 'policies.yaml',
  text: `policies:
  - { name: guarded, namespaceSelector: { matchLabels: { guarded: "yes" } }, required: [auth] }
  - name: locked
    namespaceSelector: { matchLabels: { locked: "yes" } }
    required: [auth, metrics]
    notApplicable: deny
`,
})
const DEFAULTS = { 'sidecar-patterns.io/defaults': 'true' }
const ENFORCED = { 'sidecar-patterns.io/enforced': 'true' }
const namespaces: Record<string, NamespaceFacts | undefined> = {
  none: undefined,
  defaults: {
    name: 'defaults',
    labels: DEFAULTS,
    annotations: { 'patterns/sidecar': 'metrics, auth' },
  },
  guarded: { name: 'guarded', labels: { ...ENFORCED, guarded: 'yes' }, annotations: {} },
  locked: { name: 'locked', labels: { ...ENFORCED, locked: 'yes' }, annotations: {} },
}

const redis: Container = { name: 'redis', ports: [{ name: 'redis', containerPort: 6379 }] }
const grpc: Container = {
  name: 'cart',
  ports: [{ containerPort: 7070 }],
  readinessProbe: { grpc: { port: 7070 } },
}
const web: Container = { name: 'web', ports: [{ name: 'http', containerPort: 8080 }] }

function pod(annotations: Record<string, string>, container: Container, hostNetwork = false): Pod {
  const prefixed = Object.entries(annotations).map(([k, v]) => [`patterns/${k}`, v])
  return {
    metadata: { name: 'p', annotations: Object.fromEntries(prefixed) },
    spec: { containers: [container], ...(hostNetwork && { hostNetwork }) },
  }
}

interface Summary {
  deny?: string[]
  skip?: string
  inject?: Record<string, { upstream: number | undefined }>
  protocol?: string
  notApplicable?: string[]
}

function summary(decision: Decision): Summary {
  const leftOut = decision.action === 'deny' ? [] : decision.notApplicable
  const notApplicable = leftOut.length ? { notApplicable: leftOut } : {}
  switch (decision.action) {
    case 'deny':
      return { deny: decision.problems.map((p) => `${p.annotation}: ${p.message}`) }
    case 'skip':
      return { skip: decision.reason, ...notApplicable }
    case 'inject': {
      const { sidecars, upstreams, protocol } = decision.plan
      const inject = Object.fromEntries(
        sidecars.map((s) => [s.name, { upstream: upstreams.get(s.name) }]),
      )
      return { inject, ...(protocol && { protocol }), ...notApplicable }
    }
  }
}

const run = (namespace: string, annotations: Record<string, string>, container: Container) =>
  summary(decide(pod(annotations, container), catalog, namespaces[namespace]))

const authOnRedis =
  'auth cannot apply: the app port speaks tcp (port 6379 named redis), and auth proxies only http'
const authOnGrpc =
  'auth cannot apply: the app port speaks grpc (port 7070, probed over gRPC), and auth proxies only http'

t.test('the protocol of the app port: who asked decides', async (t) => {
  const meter = (upstream: number) => ({ metrics: { upstream } })
  // biome-ignore format: one row per line
  const rows: [string, Record<string, string>, Container, Summary, string][] = [
    ['none',     { sidecar: 'metrics' },        redis, { inject: meter(6379), protocol: 'tcp' },  'the meter meters redis as TCP'],
    ['none',     { sidecar: 'metrics' },        grpc,  { inject: meter(7070), protocol: 'grpc' }, '...and a gRPC server as gRPC'],
    ['none',     { sidecar: 'metrics' },        web,   { inject: meter(8080), protocol: 'http' }, '...and HTTP/1.1 as before'],
    ['none',     { sidecar: 'metrics', 'metrics.protocol': 'http2' }, web, { inject: meter(8080), protocol: 'http2' }, 'what the Pod says wins'],
    ['none',     { sidecar: 'auth' },           redis, { deny: [`patterns/auth.port: ${authOnRedis}`] }, 'auth asked for in front of redis: denied'],
    ['none',     { sidecar: 'metrics, auth' },  grpc,  { deny: [`patterns/auth.port: ${authOnGrpc}`] },  '...in front of gRPC too, even beside the meter'],
    ['none',     { sidecar: 'metrics, auth', 'metrics.protocol': 'tcp' }, web, { deny: ['patterns/auth.port: auth cannot apply: the app port speaks tcp (patterns/metrics.protocol), and auth proxies only http'] }, '...and where the Pod says its port is not HTTP'],
    ['defaults', {},                            redis, { inject: meter(6379), protocol: 'tcp', notApplicable: ['auth'] }, 'a namespace default: auth left out, the meter forwards to the app'],
    ['defaults', {},                            web,   { inject: { metrics: { upstream: 4180 }, auth: { upstream: 8080 } }, protocol: 'http' }, '...and chained as before on HTTP'],
    ['guarded',  {},                            redis, { skip: 'not-applicable', notApplicable: ['auth'] }, 'a policy that admits: left out, with a warning'],
    ['locked',   {},                            redis, { deny: [`patterns/auth.port: ${authOnRedis}; policy locked requires auth and refuses Pods it cannot apply to`] }, 'a policy that refuses: refused'],
  ]
  for (const [namespace, annotations, container, expected, why] of rows)
    t.same(run(namespace, annotations, container), expected, why)
})

t.test('what was inferred, and what was left out, is said', async (t) => {
  const warnings = (namespace: string, annotations: Record<string, string>, c: Container) =>
    decide(pod(annotations, c), catalog, namespaces[namespace]).warnings
  t.match(warnings('none', { sidecar: 'metrics' }, redis), [
    'patterns/metrics.port: not set; inferred app port 6379 from the only declared port',
    'patterns/metrics.protocol: not set; port 6379 named redis: proxied as tcp',
  ])
  t.notOk(
    warnings('none', { sidecar: 'metrics', 'metrics.protocol': 'tcp' }, redis).some((w) =>
      w.startsWith('patterns/metrics.protocol'),
    ),
    'nothing said of a protocol the Pod gave',
  )
  t.notOk(
    warnings('none', { sidecar: 'metrics' }, web).some((w) => w.includes('proxied as')),
    'nor of HTTP/1.1, as before',
  )
  t.ok(
    warnings('defaults', {}, redis).includes(
      'auth from the default of namespace defaults is not injected: the app port speaks tcp (port 6379 named redis), and auth proxies only http',
    ),
  )
  t.ok(
    warnings('guarded', {}, grpc).includes(
      'auth required by policy guarded is not injected: the app port speaks grpc (port 7070, probed over gRPC), and auth proxies only http',
    ),
  )
})

t.test('a protocol the Pod sets must be one the meter knows', async (t) => {
  t.same(run('none', { sidecar: 'metrics', 'metrics.protocol': 'h2c' }, web), {
    deny: ['patterns/metrics.protocol: "h2c" is not one of http, http2, grpc, tcp'],
  })
})

t.test('a Pod on the host network gets no proxy', async (t) => {
  const onHost = (namespace: string, annotations: Record<string, string>) => {
    const decision = decide(pod(annotations, web, true), catalog, namespaces[namespace])
    return { ...summary(decision), warnings: decision.warnings }
  }
  const because =
    "the Pod uses the host network (spec.hostNetwork), where a proxy's ports are the node's"
  t.match(onHost('none', { sidecar: 'metrics' }), {
    deny: [`patterns/sidecar: metrics cannot apply: ${because}`],
  })
  t.match(onHost('defaults', {}), {
    skip: 'not-applicable',
    notApplicable: ['metrics', 'auth'],
    warnings: [
      `metrics from the default of namespace defaults is not injected: ${because}`,
      `auth from the default of namespace defaults is not injected: ${because}`,
    ],
  })
  t.match(onHost('guarded', {}), { skip: 'not-applicable', notApplicable: ['auth'] })
  t.match(onHost('locked', {}), {
    deny: [
      `patterns/sidecar: metrics cannot apply: ${because}; policy locked requires metrics and refuses Pods it cannot apply to`,
      `patterns/sidecar: auth cannot apply: ${because}; policy locked requires auth and refuses Pods it cannot apply to`,
    ],
  })
  const gitSync = {
    sidecar: 'git-sync',
    'git-sync.repo': 'https://github.com/example/site.git',
  }
  t.match(onHost('none', gitSync), { inject: { 'git-sync': {} } }, 'a sidecar that is no proxy')
  t.match(onHost('defaults', gitSync), {
    inject: { 'git-sync': {} },
    notApplicable: ['metrics', 'auth'],
  })
  t.same(summary(decide(pod({ sidecar: 'metrics' }, web, false), builtinCatalog)).inject, {
    metrics: { upstream: 8080 },
  })
})
