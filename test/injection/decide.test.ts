// decide() is the whole policy of the webhook, with no HTTP in the way: the truth table at the top
// of src/injection/decide.ts row by row, then how proxies chain, how the app port is found, and
// which port and mount-path conflicts refuse a Pod rather than let it fail at runtime.
import t from 'tap'
import { type Decision, decide } from '../../src/injection/decide.ts'
import { inject } from '../../src/injection/mutate.ts'
import type { Container, ContainerPort, Pod } from '../../src/injection/pod.ts'
import type { Problem } from '../../src/injection/problems.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { builtinCatalog, catalogFrom, logShippingCatalog } from '../helpers/config.ts'
import { istio, OTHER_INJECTORS } from '../helpers/other-injectors.ts'

const REPO = 'https://github.com/example/site.git'
const web: Container = { name: 'web', image: 'web', ports: [{ name: 'http', containerPort: 8080 }] }

/** A Pod with `patterns/`-prefixed annotations: `{ sidecar: 'metrics' }` is patterns/sidecar. */
function pod(patterns: Record<string, string | undefined>, containers = [web]): Pod {
  const entries = Object.entries(patterns).filter(([, v]) => v !== undefined)
  const annotations = Object.fromEntries(entries.map(([k, v]) => [`patterns/${k}`, v as string]))
  return { metadata: { name: 'p', annotations }, spec: { containers } }
}

interface Summary {
  skip?: string
  deny?: Problem[]
  inject?: string[]
  upstreams?: Record<string, number>
  alreadyInjected?: string[]
  notApplicable?: string[]
}

/** The parts of a decision a reader cares about; a plan's sidecars are functions otherwise. */
function summary(decision: Decision): Summary {
  const leftOut = (names: string[]) => (names.length ? { notApplicable: names } : {})
  switch (decision.action) {
    case 'skip':
      return { skip: decision.reason, ...leftOut(decision.notApplicable) }
    case 'deny':
      return { deny: decision.problems }
    case 'inject': {
      const { sidecars, upstreams, alreadyInjected } = decision.plan
      const inject = sidecars.map((s) => s.name)
      const injected = { inject, upstreams: Object.fromEntries(upstreams), alreadyInjected }
      return { ...injected, ...leftOut(decision.notApplicable) }
    }
  }
}
const run = (p: Pod) => summary(decide(p, builtinCatalog))
const denied = (annotation: string, message: string): Summary => ({
  deny: [{ annotation: `patterns/${annotation}`, message }],
})

t.test('the truth table', async (t) => {
  const flag = (v: string) => denied('inject', `"${v}" must be "true" or "false"`)
  const unknown = (names: string) => denied('sidecar', `${names} (known: auth, git-sync, metrics)`)
  const injects = (
    inject: string[],
    alreadyInjected: string[],
    upstreams: Record<string, number>,
  ) => ({
    inject,
    upstreams,
    alreadyInjected,
  })
  const _ = undefined
  // biome-ignore format: one row per line, like the table in decide.ts
  const rows: [string | undefined, string | undefined, string | undefined, Summary, string][] = [
    // inject    sidecar          injected         decision
    ['yes',      'metrics',       _,               flag('yes'),   'an invalid flag denies'],
    ['False',    _,               _,               flag('False'), '...even with nothing requested'],
    ['',         _,               'metrics',       flag(''),      '...even when empty'],
    ['false',    'metrics',       _,               { skip: 'opted-out' }, '"false" opts out'],
    ['false',    'nope',          'metrics',       { skip: 'opted-out' }, '...whatever is listed'],
    [_,          _,               _,               { skip: 'not-requested' }, 'nothing asked'],
    ['true',     _,               'auth',          { skip: 'not-requested' }, 'no sidecar list'],
    [_,          ' , ',           _,               { skip: 'not-requested' }, 'an empty list'],
    [_,          'metrics,nope',  _,               unknown('unknown sidecar "nope"'), 'unknown names deny'],
    ['true',     'a,b,a',         'a',             unknown('unknown sidecars "a", "b"'), '...all in one problem'],
    [_,          'auth,metrics',  'metrics,auth',  { skip: 'already-injected' }, 'all listed already injected'],
    ['true',     'auth',          'metrics,auth',  { skip: 'already-injected' }, '...injected may list more'],
    [_,          'metrics,auth',  'metrics',       denied('sidecar', 'auth cannot join the proxy chain of metrics, injected by an earlier call; request them together'), 'a proxy cannot join a chain built earlier'],
    [_,          'auth,git-sync', 'git-sync',      injects(['auth'], ['git-sync'], { auth: 8080 }), 'injects those not yet injected'],
    ['true',     'auth,metrics',  _,               injects(['metrics', 'auth'], [], { metrics: 4180, auth: 8080 }), '...all of them the first time'],
    [_,          'git-sync',      _,               denied('git-sync.repo', 'is required and missing'), '...or denies on bad parameters'],
  ]
  for (const [inject, sidecar, injected, expected, why] of rows) {
    t.same(run(pod({ inject, sidecar, injected })), expected, why)
  }
  const conflict = pod({ sidecar: 'auth', 'auth.proxy-port': '8080' })
  t.same(
    run(conflict),
    denied('auth.proxy-port', 'port 8080 is already used by container "web"'),
    '...or denies on conflicts',
  )
  t.same(run({ spec: { containers: [web] } }), { skip: 'not-requested' }, 'a Pod without metadata')
})

// The second table in decide.ts: a proxy that cannot apply (no app port to front), by who asked.
const policies = catalogFrom({
  name: 'policies.yaml',
  text: `policies:
  - { name: metering, namespaceSelector: { matchLabels: { metered: "yes" } }, required: [metrics] }
  - name: strict
    namespaceSelector: { matchLabels: { strict: "yes" } }
    required: [metrics]
    notApplicable: deny
`,
})
// Labelled as an operator labels them (README, "How requests combine"), so that the API server
// sends the webhook every Pod; what an unlabelled namespace adds is in test/injection/reach.test.ts.
const DEFAULTS = { 'sidecar-patterns.io/defaults': 'true' }
const ENFORCED = { 'sidecar-patterns.io/enforced': 'true' }
const namespaces: Record<string, NamespaceFacts> = {
  defaults: { name: 'defaults', labels: DEFAULTS, annotations: { 'patterns/sidecar': 'metrics' } },
  chained: {
    name: 'chained',
    labels: DEFAULTS,
    annotations: { 'patterns/sidecar': 'metrics, auth' },
  },
  metered: { name: 'metered', labels: { ...ENFORCED, metered: 'yes' }, annotations: {} },
  strict: { name: 'strict', labels: { ...ENFORCED, strict: 'yes' }, annotations: {} },
  both: { name: 'both', labels: { ...ENFORCED, metered: 'yes', strict: 'yes' }, annotations: {} },
}
const worker: Container = { name: 'worker', image: 'worker' }
const runIn = (namespace: string, patterns: Record<string, string>, containers = [worker]) =>
  summary(decide(pod(patterns, containers), policies, namespaces[namespace]))

t.test('the truth table: a proxy that cannot apply', async (t) => {
  const needed = 'needed: the app declares no TCP port, so the app port cannot be inferred'
  const refused = denied(
    'metrics.port',
    `${needed}; policy strict requires metrics and refuses Pods it cannot apply to`,
  )
  const skipped = { skip: 'not-applicable', notApplicable: ['metrics'] }
  const repo = { 'git-sync.repo': REPO }
  // biome-ignore format: one row per line, like the table in decide.ts
  const rows: [string, Record<string, string>, Container[], Summary, string][] = [
    // namespace  Pod annotations                          containers  decision
    ['defaults',  { sidecar: 'metrics' },                  [worker],   denied('metrics.port', needed), 'the Pod asks for it: denied'],
    ['chained',   { sidecar: 'auth' },                     [worker],   denied('metrics.port', needed), '...one proxy of the chain is enough'],
    ['defaults',  {},                                      [worker],   skipped,                        'a namespace default: left out, nothing left'],
    ['metered',   {},                                      [worker],   skipped,                        '...a policy (notApplicable: admit) likewise'],
    ['metered',   { inject: 'false' },                     [worker],   skipped,                        '...whatever the opt-out'],
    ['chained',   {},                                      [worker],   { skip: 'not-applicable', notApplicable: ['metrics', 'auth'] }, '...every proxy of the chain'],
    ['defaults',  { sidecar: 'git-sync', ...repo },        [worker],   { inject: ['git-sync'], upstreams: {}, alreadyInjected: [], notApplicable: ['metrics'] }, '...and the rest is injected'],
    ['defaults',  { 'metrics.port': '3000' },              [worker],   { inject: ['metrics'], upstreams: { metrics: 3000 }, alreadyInjected: [] }, 'a port parameter makes it apply'],
    ['defaults',  { 'metrics.port': 'web' },               [worker],   denied('metrics.port', 'no app container declares a port named "web"'), '...and is the Pod’s to get right'],
    ['strict',    {},                                      [worker],   refused,                        'a policy with notApplicable: deny refuses'],
    ['both',      {},                                      [worker],   refused,                        '...even when another policy would admit'],
    ['strict',    {},                                      [web],      { inject: ['metrics'], upstreams: { metrics: 8080 }, alreadyInjected: [] }, '...only Pods it cannot apply to'],
  ]
  for (const [namespace, patterns, containers, expected, why] of rows) {
    t.same(runIn(namespace, patterns, containers), expected, why)
  }
})

t.test('a proxy left out is said, with where it came from and what to set', async (t) => {
  const twoPorts = [{ name: 'db', ports: [{ containerPort: 5432 }, { containerPort: 9187 }] }]
  const warnings = (namespace: string, containers = [worker]) =>
    decide(pod({}, containers), policies, namespaces[namespace]).warnings
  t.same(warnings('defaults'), [
    'metrics from the default of namespace defaults is not injected: the app declares no TCP port, so the app port cannot be inferred; set patterns/metrics.port to get it',
  ])
  t.same(warnings('metered', twoPorts), [
    'metrics required by policy metering is not injected: the app declares ports 5432, 9187, so the app port cannot be inferred; set patterns/metrics.port to get it',
  ])
  t.same(
    warnings('chained').map((w) => w.split(' is not')[0]),
    ['metrics from the default of namespace chained', 'auth from the default of namespace chained'],
    'one warning per proxy left out, each naming its own parameter',
  )
  t.match(warnings('chained')[1], /set patterns\/auth\.port to get it$/)
})

t.test('warnings ride along with any decision', async (t) => {
  const repeated = decide(pod({ sidecar: 'metrics,metrics' }), builtinCatalog)
  t.equal(repeated.action, 'inject')
  const takenOver =
    "metrics takes over port name http, so Services that target it reach metrics (15080); the app's port 8080 is renamed http-app, and a targetPort 8080 still reaches the app"
  t.same(repeated.warnings, [
    'patterns/sidecar: "metrics" is listed more than once',
    'patterns/metrics.port: not set; inferred app port 8080 from the only declared port',
    takenOver,
  ])
  const explicit = decide(pod({ sidecar: 'metrics', 'metrics.port': 'http' }), builtinCatalog)
  t.same(explicit.warnings, [takenOver], 'no word about a port the Pod gave')
  const ignored = decide(pod({ inject: 'false', sidecar: 'x' }), builtinCatalog)
  t.same(ignored.warnings, [
    'patterns/inject is "false": patterns/sidecar is ignored and nothing is injected',
  ])
})

t.test('parameter problems are all reported at once, across sidecars', async (t) => {
  const annotations = {
    sidecar: 'git-sync,metrics',
    'metrics.prot': '1',
    'metrics.proxy-port': '0',
  }
  t.same(run(pod(annotations)).deny, [
    {
      annotation: 'patterns/metrics.prot',
      message:
        'unknown parameter of metrics (known: port, proxy-port, metrics-port, routes, protocol)',
    },
    { annotation: 'patterns/metrics.proxy-port', message: '"0" is not a port number (1-65535)' },
    { annotation: 'patterns/git-sync.repo', message: 'is required and missing' },
  ])
})

t.test('proxies chain in catalog order: metrics, then auth, then the app', async (t) => {
  for (const sidecar of ['metrics,auth', 'auth,metrics', 'git-sync, auth, metrics']) {
    const { upstreams } = run(pod({ sidecar, 'git-sync.repo': REPO }))
    t.same(upstreams, { metrics: 4180, auth: 8080 }, `${sidecar}: metrics -> auth -> app`)
  }
  const moved = run(pod({ sidecar: 'auth,metrics', 'auth.proxy-port': '5000' }))
  t.same(moved.upstreams, { metrics: 5000, auth: 8080 }, 'metrics follows auth’s proxy-port')
  const gitOnly = run(pod({ sidecar: 'git-sync', 'git-sync.repo': REPO }, [{ name: 'w' }]))
  t.same(gitOnly.upstreams, {}, 'git-sync is no proxy and needs no app port')
})

t.test('the app port', async (t) => {
  const app = (...ports: (ContainerPort[] | undefined)[]) =>
    ports.map((p, i): Container => ({ name: `c${i}`, ...(p && { ports: p }) }))
  const metrics = (containers: Container[], port?: string) =>
    run(pod({ sidecar: 'metrics', 'metrics.port': port }, containers))
  const cannotInfer = (seen: string) =>
    denied('metrics.port', `needed: ${seen}, so the app port cannot be inferred`)
  const several = app(
    [{ containerPort: 9090, name: 'admin' }],
    [{ containerPort: 3000, name: 'http' }],
  )

  // Inferred when the app leaves no doubt: one port number, or one port named http.
  t.same(metrics(app([{ containerPort: 3000 }])).upstreams, { metrics: 3000 }, 'one declared port')
  const twice = app([{ containerPort: 3000 }], [{ containerPort: 3000 }])
  t.same(metrics(twice).upstreams, { metrics: 3000 }, 'one number declared twice is one port')
  t.same(metrics(several).upstreams, { metrics: 3000 }, 'the port named http among several')
  const udp = app([{ containerPort: 53, protocol: 'UDP' }, { containerPort: 3000 }])
  t.same(metrics(udp).upstreams, { metrics: 3000 }, 'UDP ports do not count')
  const unnamed = app([{ containerPort: 9090 }, { containerPort: 3000 }])
  t.same(metrics(unnamed), cannotInfer('the app declares ports 9090, 3000'), 'several, no http')
  t.same(metrics(app(undefined, [])), cannotInfer('the app declares no TCP port'), 'no ports')
  // The rest of inference is in test/injection/app-port.test.ts; the Pod's annotation reaches it.
  const main = pod(
    { sidecar: 'metrics' },
    app([{ containerPort: 3000 }], [{ containerPort: 9901 }]),
  )
  const annotated = {
    ...main,
    metadata: {
      ...main.metadata,
      annotations: {
        ...main.metadata?.annotations,
        'kubectl.kubernetes.io/default-container': ' c0 ',
      },
    },
  }
  t.same(run(annotated).upstreams, { metrics: 3000 }, 'kubectl’s default container, trimmed')

  // Explicit: a number (declared or not) or the name of a declared port.
  t.same(metrics(several, '9090').upstreams, { metrics: 9090 }, 'an explicit number')
  t.same(metrics(app(), '7000').upstreams, { metrics: 7000 }, 'a number need not be declared')
  t.same(metrics(several, 'admin').upstreams, { metrics: 9090 }, 'an explicit port name')
  const grpc = denied('metrics.port', 'no app container declares a port named "grpc"')
  t.same(metrics(several, 'grpc'), grpc, 'an unknown port name')
  const httpTwice = [
    { name: 'a', image: 'a', ports: [{ name: 'http', containerPort: 8080 }] },
    { name: 'b', image: 'b', ports: [{ name: 'http', containerPort: 9000 }] },
  ]
  t.same(
    run(pod({ sidecar: 'metrics', 'metrics.port': 'http' }, httpTwice)),
    denied(
      'metrics.port',
      'app containers declare the port "http" as 8080 and 9000; give the number',
    ),
    'a name two containers give to different ports is ambiguous',
  )

  // Chained proxies front one port, so explicit ports of metrics and auth must agree.
  const both = (m?: string, a?: string) =>
    run(pod({ sidecar: 'metrics,auth', 'metrics.port': m, 'auth.port': a }, several))
  const differ = denied(
    'auth.port',
    '9090 differs from patterns/metrics.port (3000); chained proxies front one app port',
  )
  t.same(both('9090', 'admin').upstreams, { metrics: 4180, auth: 9090 }, 'explicit ports agree')
  t.same(both('3000', '9090'), differ, 'explicit ports disagree')
  t.same(both('http', 'admin'), differ, 'names are compared by the port they name')
  t.same(both(undefined, '9090').upstreams, { metrics: 4180, auth: 9090 }, 'one explicit is enough')
})

t.test('port conflicts', async (t) => {
  const deny = (params: Record<string, string>, containers = [web], sidecar = 'metrics,auth') =>
    run(pod({ sidecar, ...params }, containers)).deny
  const usedBy = (annotation: string, port: number, user: string) =>
    denied(annotation, `port ${port} is already used by ${user}`).deny
  t.same(
    deny({ 'metrics.proxy-port': '8080' }),
    usedBy('metrics.proxy-port', 8080, 'container "web"'),
    'a port an app container declares',
  )
  const init = { name: 'init', ports: [{ containerPort: 15091 }] }
  const withInit = {
    ...pod({ sidecar: 'metrics' }),
    spec: { containers: [web], initContainers: [init] },
  }
  t.same(
    run(withInit).deny,
    usedBy('metrics.metrics-port', 15091, 'container "init"'),
    'a port an init container declares',
  )
  t.same(
    deny({ 'metrics.port': '15080' }, [{ name: 'w' }]),
    usedBy('metrics.proxy-port', 15080, 'the app port'),
    'the app port, even undeclared',
  )
  t.same(
    deny({ 'metrics.metrics-port': '4180' }),
    usedBy('auth.proxy-port', 4180, 'patterns/metrics.metrics-port'),
    'a port another sidecar listens on',
  )
  t.same(
    deny({ 'metrics.metrics-port': '15080' }),
    usedBy('metrics.metrics-port', 15080, 'patterns/metrics.proxy-port'),
    'two ports of one sidecar',
  )
  const both = deny({ 'metrics.proxy-port': '8080', 'auth.proxy-port': '8080' })
  t.equal(both?.length, 2, 'every conflict is reported')
})

t.test('mount-path conflicts', async (t) => {
  const mounting = (mountPath: string, name = 'web'): Container => ({
    name,
    volumeMounts: [{ name: 'v', mountPath }],
  })
  const gitSync = (containers: Container[], path?: string) =>
    run(
      pod({ sidecar: 'git-sync', 'git-sync.repo': REPO, 'git-sync.mount-path': path }, containers),
    )
  const mounted = (path: string, container: string) =>
    denied('git-sync.mount-path', `${path} is already mounted in container "${container}"`)
  t.same(gitSync([mounting('/git')]), mounted('/git', 'web'), 'the default path, taken by the app')
  t.same(gitSync([web, mounting('/srv', 'b')], '/srv'), mounted('/srv', 'b'), 'in any container')
  t.same(gitSync([mounting('/git/sub')]).inject, ['git-sync'], 'a nested path is another path')
  t.same(gitSync([mounting('/git')], '/content').inject, ['git-sync'], 'a free path is fine')
  // Containers of sidecars injected earlier are not the app's, so their mounts do not count.
  const meter = mounting('/git', 'patterns-metrics')
  const reinvoked = pod(
    { sidecar: 'metrics,git-sync', injected: 'metrics', 'git-sync.repo': REPO },
    [web, meter],
  )
  t.same(run(reinvoked).inject, ['git-sync'], 'a sidecar’s own mounts are not the app’s')
})

// The chain is built in one call: a proxy that would join it on reinvocation, in front of or
// behind one injected earlier, is refused rather than left forwarding past the other one.
t.test('a proxy cannot join the chain of a proxy injected by an earlier call', async (t) => {
  const auth = { name: 'patterns-auth', ports: [{ name: 'auth-http', containerPort: 4180 }] }
  const meter = { name: 'patterns-metrics', ports: [{ name: 'meter-http', containerPort: 15080 }] }
  const message = (joining: string, present: string) =>
    `${joining} cannot join the proxy chain of ${present}, injected by an earlier call; request them together`
  t.same(
    run(pod({ sidecar: 'metrics,auth', injected: 'auth' }, [web, auth])),
    denied('sidecar', message('metrics', 'auth')),
  )
  t.same(
    run(pod({ sidecar: 'metrics,auth', injected: 'metrics' }, [web, meter])),
    denied('sidecar', message('auth', 'metrics')),
  )
})

// The plan says which app port the proxies front and where it came from, for explain.
t.test('the app port of a plan, and where it came from', async (t) => {
  const appPort = (p: Pod) => {
    const decision = decide(p, builtinCatalog)
    return decision.action === 'inject' ? decision.plan.appPort : 'no injection'
  }
  t.same(appPort(pod({ sidecar: 'metrics', 'metrics.port': 'http' })), {
    port: 8080,
    from: 'patterns/metrics.port',
  })
  t.same(appPort(pod({ sidecar: 'metrics' })), {
    port: 8080,
    from: 'inferred from the only declared port',
  })
  t.equal(appPort(pod({ sidecar: 'git-sync', 'git-sync.repo': REPO })), undefined, 'no proxy')
})

// A Pod decided on, then decided on again as the first call patched it (a reinvocation).
function twice(asked: Record<string, string>, containers: Container[], namespace: NamespaceFacts) {
  const first = decide(pod(asked, containers), policies, namespace)
  if (first.action !== 'inject') throw new Error(`first call: ${JSON.stringify(first)}`)
  const again = decide(inject(pod(asked, containers), first.plan), policies, namespace)
  return { first, again }
}
const leftOutAgain = { skip: 'not-applicable', notApplicable: ['auth'] }
// The namespace asks for auth, which cannot front what these Pods serve.
const authDefault = {
  ...namespaces.chained,
  annotations: { 'patterns/sidecar': 'auth' },
} as NamespaceFacts

// A proxy left out on the first call (auth cannot front gRPC) is left out again on reinvocation,
// as it was, rather than refused as joining the chain: found by the property test.
t.test('a proxy left out on the first call does not join the chain on reinvocation', async (t) => {
  const grpc: Container = {
    name: 'api',
    image: 'api',
    ports: [{ name: 'grpc', containerPort: 9000 }],
  }
  const { first, again } = twice({}, [grpc], namespaces.chained as NamespaceFacts)
  t.same(first.notApplicable, ['auth'], 'the first call leaves auth out')
  t.same(summary(again), leftOutAgain)
})

// Two ports, the one named http and the gRPC one the Pod's settings choose below.
const api: Container = {
  name: 'api',
  image: 'api',
  ports: [
    { name: 'http', containerPort: 1 },
    { name: 'grpc', containerPort: 8080 },
  ],
}

// The same when the port came from the Pod's own setting for the proxy injected first: on
// reinvocation auth alone would infer another port (the one named http) and join the chain;
// the chain's port is metrics.port's, as on the first call. Found by the property test.
t.test('on reinvocation the chain fronts the port the earlier call chose', async (t) => {
  const { first, again } = twice({ sidecar: 'metrics', 'metrics.port': '8080' }, [api], authDefault)
  t.same(first.notApplicable, ['auth'], 'the first call leaves auth out: port 8080 speaks grpc')
  t.same(summary(again), leftOutAgain)
})

// When the earlier call's proxy took the app port's name over, the chain is resolved on the app's
// ports with the name given back, as that call saw them: a proxy setting that names the port
// (metrics.port: grpc) still finds it, renamed grpc-app in the Pod.
t.test(
  'on reinvocation a port named by a setting is found under the name taken over',
  async (t) => {
    const { first, again } = twice(
      { sidecar: 'metrics', 'metrics.port': 'grpc' },
      [api],
      authDefault,
    )
    t.same(first.notApplicable, ['auth'], 'the first call leaves auth out: port 8080 speaks grpc')
    if (first.action === 'inject')
      t.match(first.plan.takeover, { name: 'grpc', renamed: 'grpc-app' })
    t.same(summary(again), leftOutAgain)
  },
)

// The chain's app port may come from the setting of a proxy the first call left out (auth.port,
// auth asked by the namespace, cannot front http2): on reinvocation the claim of the proxy
// injected in front of that port is weighed with the settings of everything asked for, as the
// first call resolved it, and stands. Found by the property test (seed 750173856).
t.test(
  "on reinvocation a claim is weighed on the port a left-out proxy's setting gave",
  async (t) => {
    const asked = { sidecar: 'metrics', 'metrics.protocol': 'http2', 'auth.port': '3000' }
    const metered = {
      ...namespaces.metered,
      labels: { ...namespaces.metered?.labels, ...DEFAULTS },
      annotations: { 'patterns/sidecar': 'auth' },
    } as NamespaceFacts
    const { first, again } = twice(asked, [{ name: 'web', image: 'web' }], metered)
    t.same(first.notApplicable, ['auth'], 'auth cannot front http2')
    if (first.action === 'inject')
      t.same(
        Object.fromEntries(first.plan.upstreams),
        { metrics: 3000 },
        'metrics fronts auth.port',
      )
    t.same(summary(again), leftOutAgain)
    const unproven = again.warnings.filter((w) => w.includes('does not hold it'))
    t.same(unproven, [], 'the claim of metrics is borne out')
  },
)

// Another injector that ran before ours (Istio's webhook configuration sorts first by name) left
// its containers and its record: they are not the app's, so the app port is the app's own (not
// Envoy's http-envoy-prom) and the app mounts go to the app's containers only.
t.test("another injector's containers are not the app's", async (t) => {
  const asked = pod({ sidecar: 'metrics,git-sync', 'git-sync.repo': REPO })
  for (const [name, other] of Object.entries(OTHER_INJECTORS)) {
    const decision = decide(other(asked), builtinCatalog)
    if (decision.action !== 'inject') throw new Error(`${name}: ${JSON.stringify(decision)}`)
    t.same(decision.plan.app, ['web'], `${name}: the app`)
    t.same(Object.fromEntries(decision.plan.upstreams), { metrics: 8080 }, `${name}: its port`)
  }
  // Without the record, Istio's proxy is one more container of the Pod's, and its port is one
  // more HTTP port: the Pod must say which one the meter fronts.
  const unrecorded = istio(asked)
  unrecorded.metadata = { name: 'p', annotations: asked.metadata?.annotations ?? {} }
  t.match(run(unrecorded).deny, [{ annotation: 'patterns/metrics.port', message: /needed/ }])
})

// Called again after Istio added its proxy, a Pod the first call left alone (the namespace's
// meter had no app port to front) is left alone again: Envoy's port is not the app's.
t.test("a proxy left out stays out when another injector's container brings a port", async (t) => {
  const worker = pod({}, [{ name: 'worker', image: 'worker' }])
  const leftOut = { skip: 'not-applicable', notApplicable: ['metrics'] }
  t.same(summary(decide(worker, builtinCatalog, namespaces.defaults)), leftOut, 'first call')
  t.same(summary(decide(istio(worker), builtinCatalog, namespaces.defaults)), leftOut, 'again')
})

// A webhook that leaves no record we know may add a container after ours: on reinvocation it is
// one of the app's containers, and gets the app mounts the others have (the Pod is then as the
// catalog renders it, so a policy that requires the sidecar is met); a container that mounts
// something else at that path cannot, and the claim is not borne out.
const regulated = { name: 'regulated', labels: { compliance: 'pci', ...ENFORCED }, annotations: {} }

t.test('a container added after ours without a record gets the app mounts', async (t) => {
  const asked = pod({ sidecar: 'log-shipper', 'log-shipper.endpoint': 'https://logs.example.com' })
  const first = decide(asked, logShippingCatalog, regulated)
  if (first.action !== 'inject') throw new Error(`first call: ${first.action}`)
  const injected = inject(asked, first.plan)
  const added: Container = { name: 'agent', image: 'example/agent:1' }
  const later = {
    ...injected,
    spec: { ...injected.spec, containers: [...injected.spec.containers, added] },
  }
  const again = decide(later, logShippingCatalog, regulated)
  if (again.action !== 'inject') throw new Error(`again: ${JSON.stringify(again)}`)
  t.same(again.plan.sidecars, [], 'nothing new')
  t.match(again.plan.completions, [
    { sidecar: 'log-shipper', container: 'agent', mount: { mountPath: '/var/log/app' } },
  ])
  t.match(again.warnings, [/container agent gets its mount of patterns-logs at \/var\/log\/app/])
  const completed = inject(later, again.plan)
  t.same(completed.spec.containers.at(-1)?.volumeMounts, [
    { name: 'patterns-logs', mountPath: '/var/log/app' },
  ])
  t.same(summary(decide(completed, logShippingCatalog, regulated)), { skip: 'already-injected' })

  const taken = { ...added, volumeMounts: [{ name: 'other', mountPath: '/var/log/app' }] }
  const blocked = {
    ...injected,
    spec: { ...injected.spec, containers: [...injected.spec.containers, taken] },
  }
  t.match(summary(decide(blocked, logShippingCatalog, regulated)).deny, [
    {
      annotation: 'patterns/injected',
      message: /container agent mounts another volume at \/var\/log\/app/,
    },
  ])
})
