// patterns/injected is a claim, weighed against the Pod: a sidecar counts as injected only when
// the Pod holds it as the catalog renders it. A claim the Pod does not bear out is refused where a
// policy requires the sidecar (else writing the annotation would skip the policy), and left with a
// warning elsewhere. What the API server adds between two calls (defaults, the token mount) is
// not a difference; anything else is.
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { type Decision, decide } from '../../src/injection/decide.ts'
import { mismatch } from '../../src/injection/evidence.ts'
import { injectPod } from '../../src/injection/inject-pod.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { testCatalog } from '../helpers/config.ts'

const web: Container = { name: 'web', image: 'web', ports: [{ name: 'http', containerPort: 8080 }] }
// Selected by the test catalog's policy prod-metering, which requires metrics.
const prod: NamespaceFacts = { name: 'prod', labels: { env: 'prod' }, annotations: {} }
const plain: NamespaceFacts = { name: 'dev', labels: {}, annotations: {} }
const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount'
const REPO = 'https://git.example.com/site.git'

function pod(annotations: Record<string, string>, containers: Container[] = [web]): Pod {
  return { metadata: { name: 'p', annotations }, spec: { containers } }
}

/** The Pod as the webhook's first call leaves it, then as the API server hands it on. */
function injected(asked: Pod, namespace: NamespaceFacts, catalog = testCatalog): Pod {
  const result = injectPod(asked, catalog, namespace)
  if (!result.ok || result.decision.action !== 'inject') throw new Error('expected an injection')
  const after = structuredClone(asked)
  if (applyPatch(after, result.decision.operations as never).some(Boolean)) throw new Error('patch')
  return after
}

function defaulted(after: Pod): Pod {
  const copy = structuredClone(after)
  for (const c of [...copy.spec.containers, ...(copy.spec.initContainers ?? [])]) {
    Object.assign(c, {
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    })
    const token = { name: 'kube-api-access-1', mountPath: TOKEN, readOnly: true }
    c.volumeMounts = [...(c.volumeMounts ?? []), token]
  }
  return copy
}

const outcome = (decision: Decision) => ({
  action: decision.action,
  ...(decision.action === 'skip' && { reason: decision.reason }),
  ...(decision.action === 'deny' && { problems: decision.problems.map((p) => p.message) }),
})
const claimWarnings = (decision: Decision) =>
  decision.warnings.filter((w) => w.startsWith('patterns/injected lists'))

t.test('a forged claim does not skip a sidecar a policy requires', async (t) => {
  const forged = decide(pod({ 'patterns/injected': 'metrics' }), testCatalog, prod)
  t.match(outcome(forged), {
    action: 'deny',
    problems: [
      /^patterns\/injected lists metrics, but the Pod does not hold it as the catalog renders it \(initContainers has no patterns-metrics\); policy prod-metering requires it/,
    ],
  })
  const lookalike = { name: 'patterns-metrics', image: 'busybox' }
  const withLookalike = pod({ 'patterns/injected': 'metrics' }, [web, lookalike])
  t.match(outcome(decide(withLookalike, testCatalog, prod)), { action: 'deny' })
})

t.test('our own injection, seen again after the API server, is proven', async (t) => {
  for (const annotations of [
    { 'patterns/sidecar': 'metrics' },
    { 'patterns/sidecar': 'metrics,git-sync', 'patterns/git-sync.repo': 'https://x.test/r.git' },
    { 'patterns/sidecar': 'auth,metrics', 'patterns/mode': 'classic' },
  ]) {
    const again = defaulted(injected(pod(annotations), prod))
    const decision = decide(again, testCatalog, prod)
    t.same(
      outcome(decision),
      { action: 'skip', reason: 'already-injected' },
      annotations['patterns/sidecar'],
    )
    t.same(claimWarnings(decision), [])
  }
  // An app container already called patterns-metrics: ours is patterns-metrics-2.
  const lookalike = { name: 'patterns-metrics', image: 'busybox' }
  const taken = injected(pod({ 'patterns/sidecar': 'metrics' }, [web, lookalike]), plain)
  t.ok(taken.spec.initContainers?.some((c) => c.name === 'patterns-metrics-2'))
  t.same(outcome(decide(taken, testCatalog, plain)), { action: 'skip', reason: 'already-injected' })
  // ...and it is the app port the meter fronts: still the app's on the second call.
  const serving = { name: 'patterns-metrics', image: 'app', ports: [{ containerPort: 9000 }] }
  const worker = { name: 'worker', image: 'worker' }
  const fronting = injected(pod({ 'patterns/sidecar': 'metrics' }, [serving, worker]), prod)
  const again = decide(fronting, testCatalog, prod)
  t.same(outcome(again), { action: 'skip', reason: 'already-injected' })
  t.same(claimWarnings(again), [])
  // A sidecar that joins on reinvocation mounts its volume into that app container too.
  const annotations = fronting.metadata?.annotations ?? {}
  const joining = { 'patterns/sidecar': 'metrics,git-sync', 'patterns/git-sync.repo': REPO }
  const joined = injected(
    { ...fronting, metadata: { annotations: { ...annotations, ...joining } } },
    prod,
  )
  const mounts = (name: string) =>
    joined.spec.containers.find((c) => c.name === name)?.volumeMounts?.map((m) => m.mountPath)
  t.same([mounts('patterns-metrics'), mounts('worker')], [['/git'], ['/git']])
})

t.test('app containers named like sidecars stay the app on the next call', async (t) => {
  // Found by the property test: the app's own patterns-git-sync made a namespace default's meter
  // ambiguous (two ports) on the first call, and, taken for git-sync's on the second, not.
  const metered = { ...plain, annotations: { 'patterns/sidecar': 'metrics' } }
  const lookalikes = [
    { name: 'patterns-git-sync', image: 'a', ports: [{ containerPort: 80 }] },
    { name: 'patterns-metrics', image: 'b', ports: [{ containerPort: 8080 }] },
  ]
  const asked = pod({ 'patterns/sidecar': 'git-sync', 'patterns/git-sync.repo': REPO }, lookalikes)
  const first = injected(asked, metered)
  t.ok(first.spec.initContainers?.some((c) => c.name === 'patterns-git-sync-2'))
  const again = decide(first, testCatalog, metered)
  t.same(outcome(again), { action: 'skip', reason: 'not-applicable' }, 'nothing more is injected')
  t.same(claimWarnings(again), [])
})

t.test('a sidecar changed after injection is not the one injected', async (t) => {
  const after = injected(pod({ 'patterns/sidecar': 'metrics' }), prod)
  const meter = () => after.spec.initContainers?.[0] as Container
  const tampered: [string, (c: Container) => void, RegExp][] = [
    ['upstream', (c) => c.args?.splice(4, 1, 'http://10.0.0.1:80'), /args\[4\]/],
    ['command', (c) => Object.assign(c, { command: ['/bin/sh'] }), /\.command is not/],
    ['env', (c) => Object.assign(c, { env: [{ name: 'A', value: 'b' }] }), /\.env is not/],
    ['image', (c) => Object.assign(c, { image: 'evil' }), /\.image is not/],
    [
      'mount',
      (c) => Object.assign(c, { volumeMounts: [{ name: 'x', mountPath: '/x' }] }),
      /volumeMounts/,
    ],
  ]
  for (const [what, change, where] of tampered) {
    const original = structuredClone(meter())
    change(meter())
    const decision = decide(after, testCatalog, prod)
    t.match(outcome(decision), { action: 'deny', problems: [where] }, what)
    after.spec.initContainers = [original]
  }
  t.same(outcome(decide(after, testCatalog, prod)), { action: 'skip', reason: 'already-injected' })
})

t.test('a claim not required by a policy is left standing, with a warning', async (t) => {
  const forged = decide(
    pod({ 'patterns/sidecar': 'metrics', 'patterns/injected': 'metrics' }),
    testCatalog,
    plain,
  )
  t.same(outcome(forged), { action: 'skip', reason: 'already-injected' })
  t.match(claimWarnings(forged), [/initContainers has no patterns-metrics\); left as it is$/])
  // A manifest injected offline under an older catalog keeps deploying, and says why it differs.
  const stale = injected(pod({ 'patterns/sidecar': 'metrics' }), plain)
  const meter = stale.spec.initContainers?.[0] as Container
  meter.image = 'ghcr.io/sidecar-patterns/sidecar-patterns:0.0.0-older'
  t.match(claimWarnings(decide(stale, testCatalog, plain)), [
    /\.image is not as the catalog renders it/,
  ])
  t.match(outcome(decide(stale, testCatalog, prod)), { action: 'deny' }, 'required: refused')
})

t.test('what counts as the same rendering', async (t) => {
  const rendered = {
    name: 'm',
    ports: [{ containerPort: 1 }],
    readinessProbe: { httpGet: { port: 1 } },
  }
  const actual = {
    name: 'm',
    ports: [{ containerPort: 1, protocol: 'TCP' }],
    readinessProbe: {
      httpGet: { port: 1, scheme: 'HTTP' },
      timeoutSeconds: 1,
      failureThreshold: 3,
    },
    terminationMessagePath: '/dev/termination-log',
    volumeMounts: [{ name: 't', mountPath: TOKEN, readOnly: true }],
  }
  t.equal(mismatch(rendered, actual, 'c'), undefined, 'defaults and the token mount')
  t.equal(mismatch(rendered, { ...actual, stdin: true }, 'c'), 'c.stdin')
  t.equal(mismatch(rendered, { ...actual, ports: [] }, 'c'), 'c.ports')
  const writable = { ...actual, volumeMounts: [{ name: 't', mountPath: TOKEN }] }
  t.equal(mismatch(rendered, writable, 'c'), 'c.volumeMounts', 'only the read-only token mount')
})
