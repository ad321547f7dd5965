// explain() against the webhook configuration the manifests install and the test catalog (with its
// policies): which entry sees the Pod and why, what the webhook decides, and each sidecar's
// verdict with who asked for it.
import t from 'tap'
import { explain } from '../../src/explain/explain.ts'
import { clusterNamespace, inputNamespace } from '../../src/explain/namespace-view.ts'
import { creatorOf } from '../../src/explain/targets.ts'
import { explanationText } from '../../src/explain/text.ts'
import { fileWebhooks, MANIFEST } from '../../src/explain/webhook-source.ts'
import type { Pod } from '../../src/injection/pod.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { testCatalog } from '../helpers/config.ts'
import { injected as injectedBy } from '../helpers/injected.ts'

const webhooks = await fileWebhooks(MANIFEST)
const REPO = 'https://github.com/example/site.git'

function pod(annotations: Record<string, string>, ports = [{ containerPort: 8080 }]): Pod {
  return {
    metadata: { generateName: 'web-', annotations },
    spec: { containers: [{ name: 'web', image: 'example/web:1', ports }] },
  }
}

function namespace(
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): NamespaceFacts {
  return { name, labels, annotations }
}

function explained(p: unknown, facts: NamespaceFacts | undefined, name = facts?.name ?? 'apps') {
  return explain({
    subject: 'Pod',
    pod: p,
    namespace: inputNamespace(name, facts),
    userInfo: creatorOf('Deployment'),
    catalog: testCatalog,
    webhooks,
  })
}

/** name -> verdict, for every sidecar of the catalog. */
const verdicts = (e: ReturnType<typeof explain>) =>
  Object.fromEntries(e.sidecars.map((s) => [s.name, s.verdict]))

const called = (e: ReturnType<typeof explain>) =>
  Object.fromEntries(e.webhooks.entries.map((w) => [w.name, w.called]))

t.test('a Pod that asks, in a namespace of neither label: the opt-in entry', async (t) => {
  const e = explained(pod({ 'patterns/sidecar': 'metrics' }), namespace('apps'))
  t.same(called(e), {
    'enforced.sidecar-patterns.io': false,
    'defaults.sidecar-patterns.io': false,
    'opt-in.sidecar-patterns.io': true,
  })
  t.same(e.webhooks.calledBy, ['opt-in.sidecar-patterns.io'])
  const optIn = e.webhooks.entries[2]
  t.match(optIn, {
    failurePolicy: 'Ignore',
    namespaceSelector: true,
    objectSelector: true,
    rules: true,
    matchConditions: [{ name: 'asks-for-a-sidecar', value: true }],
  })
  t.match(e.webhooks.entries[0], {
    namespaceSelector: false,
    objectSelector: undefined,
    because: 'its namespaceSelector does not select namespace apps',
  })
  t.same(e.decision, { action: 'inject', sidecars: ['metrics'] })
  t.same(e.appPort, { port: 8080, from: 'inferred from the only declared port' })
  const metrics = e.sidecars.find((s) => s.name === 'metrics')
  t.match(metrics, { verdict: 'injected', askedBy: [{ by: 'pod' }], revision: /^[0-9a-f]{10}$/ })
  t.equal(verdicts(e).auth, 'not-asked')
})

t.test('a Pod that asks for nothing is not sent; the decision is still said', async (t) => {
  const e = explained(pod({}), namespace('apps'))
  t.same(e.webhooks.calledBy, [])
  t.match(e.webhooks.entries[2], {
    called: false,
    matchConditions: [{ name: 'asks-for-a-sidecar', value: false }],
    because: 'matchConditions asks-for-a-sidecar: false',
  })
  t.same(e.decision, { action: 'skip', reason: 'not-requested' })
})

t.test('a namespace default reaches Pods only through the defaults label', async (t) => {
  const annotations = { 'patterns/sidecar': 'metrics' }
  const unlabelled = explained(pod({}), namespace('media', {}, annotations))
  t.same(unlabelled.webhooks.calledBy, [], 'the opt-in entry sees only Pods that ask')
  t.equal(verdicts(unlabelled).metrics, 'not-sent', 'the default would apply, were it sent')
  t.match(unlabelled.sidecars[0], { askedBy: [{ by: 'namespace', namespace: 'media' }] })

  const labels = { 'sidecar-patterns.io/defaults': 'true' }
  const labelled = explained(pod({}), namespace('media', labels, annotations))
  t.same(labelled.webhooks.calledBy, ['defaults.sidecar-patterns.io'])
  t.equal(verdicts(labelled).metrics, 'injected')

  const optOut = explained(
    pod({ 'patterns/inject': 'false' }),
    namespace('media', labels, annotations),
  )
  t.same(optOut.webhooks.calledBy, [], 'not-opted-out is false')
  t.equal(verdicts(optOut).metrics, 'opted-out')
})

t.test('a policy: required whatever the Pod says; left out where it cannot apply', async (t) => {
  const prod = namespace('shop', { env: 'prod', 'sidecar-patterns.io/enforced': 'true' })
  const optOut = explained(pod({ 'patterns/inject': 'false' }), prod)
  t.same(optOut.webhooks.calledBy, ['enforced.sidecar-patterns.io'])
  t.equal(verdicts(optOut).metrics, 'injected', 'the opt-out does not apply to a policy')
  t.match(optOut.sidecars.find((s) => s.name === 'metrics')?.askedBy, [
    { by: 'policy', policy: 'prod-metering', notApplicable: 'admit' },
  ])

  const worker = explained(pod({}, []), prod)
  t.same(worker.decision, { action: 'skip', reason: 'not-applicable' })
  t.equal(verdicts(worker).metrics, 'not-applicable')
  t.match(worker.warnings, [/metrics required by policy prod-metering is not injected/])

  const strict = namespace('vault', { metering: 'strict', 'sidecar-patterns.io/enforced': 'true' })
  const refused = explained(pod({}, []), strict)
  t.match(refused.decision, { action: 'deny', problems: [{ annotation: 'patterns/metrics.port' }] })
  t.equal(verdicts(refused).metrics, 'denied')
})

t.test('an app port set by annotation is said to be', async (t) => {
  const e = explained(
    pod({ 'patterns/sidecar': 'metrics', 'patterns/metrics.port': '8080' }),
    namespace('apps'),
  )
  t.same(e.appPort, { port: 8080, from: 'patterns/metrics.port' })
})

t.test('a Pod already injected: its sidecars are, and nothing more would be', async (t) => {
  const asked = pod({ 'patterns/sidecar': 'metrics, git-sync', 'patterns/git-sync.repo': REPO })
  const injected = injectedBy(asked, testCatalog)
  const e = explained(injected, namespace('apps'))
  t.same(e.decision, { action: 'skip', reason: 'already-injected' })
  t.match(verdicts(e), { metrics: 'already-injected', 'git-sync': 'already-injected' })
  t.same(e.outdated, [], 'injected under today’s catalog')

  const annotations = injected.metadata?.annotations ?? {}
  const revisions = annotations['patterns/revision'] ?? ''
  annotations['patterns/revision'] = revisions.replace(/^metrics=[0-9a-f]+/, 'metrics=0000000000')
  const old = explained(injected, namespace('apps'))
  t.match(old.outdated, [{ sidecar: 'metrics', recorded: '0000000000', today: /^[0-9a-f]{10}$/ }])
  t.equal(old.outdated.length, 1)
  t.match(
    explanationText(old),
    /\n {2}metrics +already injected \(patterns\/injected lists it\), outdated: recorded revision 0000000000, today's catalog renders [0-9a-f]{10}; asked for by the Pod/,
  )
})

t.test('refusals: unknown sidecars deny; a namespace the cluster lacks is a 404', async (t) => {
  const unknown = explained(pod({ 'patterns/sidecar': 'metrics, tracing' }), namespace('apps'))
  t.match(unknown.decision, { action: 'deny', problems: [{ annotation: 'patterns/sidecar' }] })
  t.equal(verdicts(unknown).metrics, 'denied')

  const missing = explain({
    subject: 'Pod',
    pod: pod({ 'patterns/sidecar': 'metrics' }),
    namespace: clusterNamespace('gone', undefined),
    userInfo: creatorOf('Pod'),
    catalog: testCatalog,
    webhooks,
  })
  t.same(missing.webhooks.calledBy, [])
  t.match(missing.webhooks.entries[0], {
    namespaceSelector: 'namespace-not-found',
    because: 'the API server refuses the Pod: namespaces "gone" not found',
  })
})

t.test('what is not a Pod is refused as the webhook refuses it', async (t) => {
  const e = explained({ spec: { containers: 'web' } }, namespace('apps'))
  t.same(e.decision, { action: 'invalid', error: '/spec/containers must be array' })
  t.same(e.sidecars, [])
})

t.test(
  'a container added since, without the app mounts: explain says they are completed',
  async (t) => {
    const asked = pod({
      'patterns/sidecar': 'log-shipper',
      'patterns/log-shipper.endpoint': 'https://logs.example.com/in',
    })
    const shipped = injectedBy(asked, testCatalog)
    const agent = { name: 'agent', image: 'example/agent:1' }
    const later = {
      ...shipped,
      spec: { ...shipped.spec, containers: [...shipped.spec.containers, agent] },
    }
    const e = explained(later, namespace('apps'))
    t.same(e.decision, {
      action: 'inject',
      sidecars: [],
      completes: ['agent: patterns-logs at /var/log/app (log-shipper)'],
    })
    t.match(explanationText(e), /complete the app mounts: agent: patterns-logs at \/var\/log\/app/)
  },
)
