// Scenarios through the model of the API server (test/helpers/apiserver), configured by the
// rendered manifests/ and calling our real webhook over HTTPS: which entry sees each Pod, what
// the failure policies do, reinvocation after another webhook, and the stored Pod validated.
import t from 'tap'
import type { Json } from '../../src/apiserver/attributes.ts'
import { DEFAULTS_LABEL, ENFORCED_LABEL } from '../../src/injection/reach.ts'
import { costLabeller, patched } from '../helpers/apiserver/answers.ts'
import { modelCluster } from '../helpers/apiserver/cluster.ts'
import { catalogFrom, logShippingCatalog } from '../helpers/config.ts'
import { fakeApiServerFor } from '../helpers/fake-apiserver.ts'

// The policy of the platform team: enforced namespaces labelled env=prod must have metrics.
const catalog = catalogFrom({
  name: 'policies.yaml',
  text: 'policies:\n  - { name: prod-metering, namespaceSelector: { matchLabels: { env: prod } }, required: [metrics] }\n',
})
const options = { catalog: () => catalog }

// The labels the webhook's own messages name, so manifests and code cannot drift apart.
const ENFORCED = { [ENFORCED_LABEL]: 'true' }
const DEFAULTS = { [DEFAULTS_LABEL]: 'true' }

/** A Pod as the ReplicaSet controller posts it: generateName, and no namespace in the body. */
function replicaSetPod(annotations?: Record<string, string>): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-5d8f9c7b6-',
      labels: { app: 'web', 'pod-template-hash': '5d8f9c7b6' },
      ...(annotations && { annotations }),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-5d8f9c7b6',
          uid: 'f0e1d2c3-0000-4000-8000-000000000001',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        { name: 'web', image: 'example/web:1.4.2', ports: [{ name: 'http', containerPort: 8080 }] },
      ],
    },
  }
}

const containerNames = (pod: Json): string[] =>
  [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c: Json) => c.name)

t.test('an opt-in Pod of a Deployment gets its sidecar, once, from the opt-in entry', async (t) => {
  const { api } = await modelCluster(t, options)
  api.putNamespace('shop')
  const created = await api.createPod('shop', replicaSetPod({ 'patterns/sidecar': 'metrics' }))
  t.equal(created.code, 201, created.status?.message ?? 'created')
  t.same(
    created.calls.map((c) => [c.webhook, c.round, c.changed]),
    [['opt-in.sidecar-patterns.io', 0, true]],
  )
  t.equal(created.pod.metadata.namespace, 'shop', 'the namespace came from the request path')
  t.match(created.pod.metadata.name, /^web-5d8f9c7b6-[a-z0-9]{5}$/, 'named after admission')
  t.same(containerNames(created.pod), ['patterns-metrics', 'web'])
  t.equal(created.pod.metadata.annotations['patterns/injected'], 'metrics')
  t.equal(created.matchConditionErrors, 0)
})

t.test(
  'a Pod that asks for nothing, in a namespace that asks for nothing, is never sent',
  async (t) => {
    const { api } = await modelCluster(t, options)
    api.putNamespace('shop', { labels: { team: 'web' } })
    for (const pod of [
      replicaSetPod(),
      replicaSetPod({ unrelated: 'x' }),
      replicaSetPod({ 'patterns/inject': 'false' }),
    ]) {
      const created = await api.createPod('shop', pod)
      t.equal(created.code, 201)
      t.same(created.calls, [], 'no call')
      t.equal(created.matchConditionErrors, 0, 'no condition error')
      t.same(containerNames(created.pod), ['web'])
    }
  },
)

t.test('namespace defaults reach Pods that say nothing, through the defaults entry', async (t) => {
  const { api } = await modelCluster(t, options)
  api.putNamespace('media', { labels: DEFAULTS, annotations: { 'patterns/sidecar': 'metrics' } })
  const created = await api.createPod('media', replicaSetPod())
  t.equal(created.code, 201, created.status?.message ?? 'created')
  t.same(
    created.calls.map((c) => c.webhook),
    ['defaults.sidecar-patterns.io'],
  )
  t.same(containerNames(created.pod), ['patterns-metrics', 'web'])
  t.equal(created.matchConditionErrors, 0)

  const optedOut = await api.createPod('media', replicaSetPod({ 'patterns/inject': 'false' }))
  t.same(optedOut.calls, [], 'an opted-out Pod is not even sent')
  t.same(containerNames(optedOut.pod), ['web'])

  const both = await api.createPod('media', replicaSetPod({ 'patterns/sidecar': 'auth' }))
  t.same(
    both.calls.map((c) => c.webhook),
    ['defaults.sidecar-patterns.io'],
    'one entry, one call',
  )
  t.same(containerNames(both.pod), ['patterns-metrics', 'patterns-auth', 'web'])
})

t.test('a default without the label is not seen: the operator labels the namespace', async (t) => {
  const { api } = await modelCluster(t, options)
  api.putNamespace('media', { annotations: { 'patterns/sidecar': 'metrics' } })
  const unlabelled = await api.createPod('media', replicaSetPod())
  t.same(unlabelled.calls, [])
  t.same(containerNames(unlabelled.pod), ['web'])
  const asking = await api.createPod('media', replicaSetPod({ 'patterns/sidecar': 'auth' }))
  t.same(containerNames(asking.pod), ['patterns-metrics', 'patterns-auth', 'web'])
  t.match(
    asking.warnings,
    [/^namespace media: its patterns\/sidecar default reaches only Pods that ask/],
    'a Pod that reaches the webhook carries the word',
  )
  api.putNamespace('media', { labels: DEFAULTS, annotations: { 'patterns/sidecar': 'metrics' } })
  const labelled = await api.createPod('media', replicaSetPod())
  t.same(containerNames(labelled.pod), ['patterns-metrics', 'web'])
})

t.test(
  'an enforced namespace: every Pod is sent, an opt-out keeps what policy requires',
  async (t) => {
    const { api } = await modelCluster(t, options)
    api.putNamespace('payments', { labels: { ...ENFORCED, env: 'prod' } })
    const plain = await api.createPod('payments', replicaSetPod())
    t.same(
      plain.calls.map((c) => c.webhook),
      ['enforced.sidecar-patterns.io'],
    )
    t.same(containerNames(plain.pod), ['patterns-metrics', 'web'])

    const optedOut = await api.createPod('payments', replicaSetPod({ 'patterns/inject': 'false' }))
    t.equal(optedOut.code, 201)
    t.same(containerNames(optedOut.pod), ['patterns-metrics', 'web'])
    t.match(optedOut.warnings, [/does not apply to metrics: policy prod-metering requires it/])
  },
)

t.test('a namespace relabelled after start is enforced from the next Pod on', async (t) => {
  const { api } = await modelCluster(t, options)
  api.putNamespace('payments', { labels: { env: 'prod' } })
  const before = await api.createPod('payments', replicaSetPod())
  t.same(before.calls, [], 'not labelled: the policy cannot be enforced, and is not')
  api.putNamespace('payments', { labels: { ...ENFORCED, env: 'prod' } })
  const after = await api.createPod('payments', replicaSetPod())
  t.same(containerNames(after.pod), ['patterns-metrics', 'web'])
  api.putNamespace('payments', { labels: { [ENFORCED_LABEL]: 'false', env: 'prod' } })
  const off = await api.createPod('payments', replicaSetPod({ 'patterns/sidecar': 'auth' }))
  t.same(
    off.calls.map((c) => c.webhook),
    ['opt-in.sidecar-patterns.io'],
    'enforced=false is opt-in again',
  )
})

t.test(
  'a relabelled namespace, learnt by the webhook from its watch after the API server',
  async (t) => {
    const rest = await fakeApiServerFor(t)
    const { api } = await modelCluster(t, { ...options, rest })
    api.putNamespace('payments', { labels: { env: 'prod' } })
    const before = await api.createPod('payments', replicaSetPod())
    t.same(before.calls, [])
    api.putNamespace('payments', { labels: { ...ENFORCED, env: 'prod' } })
    // The webhook's cache may not have the new label yet; what it decides by (env=prod, the
    // policy's selector) it had before, so the Pod gets its sidecar either way.
    const after = await api.createPod('payments', replicaSetPod())
    t.same(
      after.calls.map((c) => c.webhook),
      ['enforced.sidecar-patterns.io'],
    )
    t.same(containerNames(after.pod), ['patterns-metrics', 'web'])
  },
)

t.test(
  'the webhook is down: opt-in Pods are created bare, enforced Pods are refused',
  async (t) => {
    let down = false
    const { api } = await modelCluster(t, { ...options, down: () => down })
    api.putNamespace('shop')
    api.putNamespace('payments', { labels: { ...ENFORCED, env: 'prod' } })
    down = true
    const optIn = await api.createPod('shop', replicaSetPod({ 'patterns/sidecar': 'metrics' }))
    t.equal(optIn.code, 201)
    t.same(optIn.failedOpen, ['opt-in.sidecar-patterns.io'])
    t.same(containerNames(optIn.pod), ['web'])
    const enforced = await api.createPod('payments', replicaSetPod())
    t.equal(enforced.code, 500)
    t.match(enforced.status?.message, /failed to call webhook/)
    t.equal(api.pods().length, 1, 'the refused Pod is not stored')
  },
)

t.test('a denial reaches the client with our message and code', async (t) => {
  const { api } = await modelCluster(t, options)
  api.putNamespace('shop')
  const created = await api.createPod(
    'shop',
    replicaSetPod({ 'patterns/sidecar': 'metrics, tracing' }),
  )
  t.equal(created.code, 422)
  t.match(
    created.status?.message,
    /^admission webhook "opt-in.sidecar-patterns.io" denied the request: patterns\/sidecar: unknown sidecar "tracing"/,
  )
  t.same(api.pods(), [])
})

t.test('a dry run reaches the webhook (sideEffects None) and stores nothing', async (t) => {
  const { api } = await modelCluster(t, options)
  api.putNamespace('shop')
  const created = await api.createPod('shop', replicaSetPod({ 'patterns/sidecar': 'metrics' }), {
    dryRun: true,
  })
  t.equal(created.code, 201)
  t.same(containerNames(created.pod), ['patterns-metrics', 'web'])
  t.same(api.pods(), [])
})

// Another party's webhook, called after ours (configurations run in name order), that edits
// the Pod: the API server calls our IfNeeded entry again, with a new uid and the edited Pod.
const labeller = costLabeller('zz-cost-labels', 'cost.example.com')

t.test('a later webhook edits the Pod: we are called again and add nothing twice', async (t) => {
  const { api } = await modelCluster(t, { ...options, others: [labeller] })
  api.putNamespace('shop')
  const created = await api.createPod(
    'shop',
    replicaSetPod({
      'patterns/sidecar': 'metrics, git-sync',
      'patterns/git-sync.repo': 'https://example.com/site.git',
    }),
  )
  t.equal(created.code, 201, created.status?.message ?? 'created')
  t.same(
    created.calls.map((c) => [c.webhook, c.round, c.changed]),
    [
      ['opt-in.sidecar-patterns.io', 0, true],
      ['cost.example.com', 0, true],
      ['opt-in.sidecar-patterns.io', 1, false],
    ],
  )
  t.not(created.calls[0]?.uid, created.calls[2]?.uid, 'every call has its own uid')
  t.same(containerNames(created.pod), ['patterns-metrics', 'patterns-git-sync', 'web'])
  t.equal(created.pod.metadata.labels['cost-center'], 'web')
})

// Another party's webhook called before ours that asks for a sidecar on the Pod's behalf: our
// entry's condition reads the object as that webhook left it.
const requester = {
  configuration: {
    ...labeller.configuration,
    metadata: { name: 'aa-platform-defaults' },
    webhooks: [{ ...labeller.configuration.webhooks[0], name: 'platform.example.com' }],
  },
  handler: (review: Json) =>
    patched(review, [
      { op: 'add', path: '/metadata/annotations', value: { 'patterns/sidecar': 'metrics' } },
    ]),
}

t.test('an earlier webhook asks for a sidecar: our condition sees its edit', async (t) => {
  const { api } = await modelCluster(t, { ...options, others: [requester] })
  api.putNamespace('shop')
  const created = await api.createPod('shop', replicaSetPod())
  t.equal(created.code, 201, created.status?.message ?? 'created')
  t.same(
    created.calls.map((c) => [c.webhook, c.round]),
    [
      ['platform.example.com', 0],
      ['opt-in.sidecar-patterns.io', 0],
    ],
  )
  t.same(containerNames(created.pod), ['patterns-metrics', 'web'])
})

// A webhook after ours that adds a container of its own and leaves no record we know (an agent
// injector): we are called again, and the policy's log-shipper, injected by the first call, is
// borne out; the added container gets the app's log mount and the stored Pod is valid.
const agentAdder = {
  configuration: {
    ...labeller.configuration,
    metadata: { name: 'zz-agents' },
    webhooks: [{ ...labeller.configuration.webhooks[0], name: 'agents.example.com' }],
  },
  handler: (review: Json) =>
    review.request.object.spec.containers.some((c: Json) => c.name === 'agent')
      ? patched(review, [])
      : patched(review, [
          {
            op: 'add',
            path: '/spec/containers/-',
            value: { name: 'agent', image: 'example/agent:1' },
          },
        ]),
}

t.test(
  'a later webhook adds a container: the policy is met, the container gets the app mount',
  async (t) => {
    const { api } = await modelCluster(t, {
      catalog: () => logShippingCatalog,
      others: [agentAdder],
    })
    api.putNamespace('pay', { labels: { ...ENFORCED, compliance: 'pci' } })
    const created = await api.createPod(
      'pay',
      replicaSetPod({ 'patterns/log-shipper.endpoint': 'https://logs.example.com/in' }),
    )
    t.equal(created.code, 201, created.status?.message ?? 'created')
    t.same(
      created.calls.map((c) => [c.webhook, c.round, c.changed]),
      [
        ['enforced.sidecar-patterns.io', 0, true],
        ['agents.example.com', 0, true],
        ['enforced.sidecar-patterns.io', 1, true],
      ],
    )
    const agent = created.pod.spec.containers.find((c: Json) => c.name === 'agent')
    t.match(agent?.volumeMounts, [{ name: 'patterns-logs', mountPath: '/var/log/app' }])
  },
)
