// classify(): where one running Pod stands against today's catalog.

import t from 'tap'
import { inputNamespace } from '../../src/explain/namespace-view.ts'
import { creatorOf } from '../../src/explain/targets.ts'
import { fileWebhooks, MANIFEST } from '../../src/explain/webhook-source.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { classify } from '../../src/status/classify.ts'
import { builtinCatalog, testCatalog } from '../helpers/config.ts'
import { injected as injectedBy } from '../helpers/injected.ts'

const { webhooks } = await fileWebhooks(MANIFEST)
const prod = {
  name: 'shop',
  labels: { env: 'prod', 'sidecar-patterns.io/enforced': 'true' },
  annotations: {},
}
const context = (catalog = testCatalog) => ({
  catalog,
  webhooks,
  namespace: inputNamespace('shop', prod),
  userInfo: creatorOf('ReplicaSet'),
})

function pod(annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name: 'web-1', namespace: 'shop', annotations },
    spec: {
      containers: [{ name: 'web', image: 'example/web:1', ports: [{ containerPort: 8080 }] }],
    },
  }
}

const injected = (p: Pod): Pod => injectedBy(p, testCatalog, prod)

t.test('injected under today’s catalog: current', async (t) => {
  t.match(classify(injected(pod()), context()), {
    state: 'current',
    injected: ['metrics'],
    outdated: [],
    missing: [],
  })
})

t.test('a policy’s sidecar it lacks: missing', async (t) => {
  t.match(classify(pod(), context()), { state: 'missing', missing: ['metrics'] })
})

t.test(
  'no revision recorded, another one, or a sidecar gone from the catalog: outdated',
  async (t) => {
    const before = injected(pod())
    const annotations = before.metadata?.annotations ?? {}
    const { 'patterns/revision': _, ...unrecorded } = annotations
    t.match(
      classify({ ...before, metadata: { ...before.metadata, annotations: unrecorded } }, context()),
      {
        state: 'outdated',
        outdated: [{ sidecar: 'metrics', recorded: undefined, today: /^[0-9a-f]{10}$/ }],
      },
    )
    const shipped = injected(
      pod({
        'patterns/sidecar': 'log-shipper',
        'patterns/log-shipper.endpoint': 'https://logs.example.com/in',
      }),
    )
    // Under the built-in catalog, which has no log-shipper: the webhook would also refuse the claim
    // of a sidecar it does not know.
    const status = classify(shipped, {
      ...context(builtinCatalog),
      namespace: inputNamespace('shop', { ...prod, labels: {} }),
    })
    t.match(status, {
      state: 'outdated',
      outdated: [{ sidecar: 'log-shipper', today: { none: 'not in the catalog' } }],
    })
  },
)

t.test('a Pod no entry is sent and nothing injected: out of scope', async (t) => {
  const blog = {
    ...context(),
    namespace: inputNamespace('blog', { name: 'blog', labels: {}, annotations: {} }),
  }
  t.match(classify(pod(), blog), { state: 'out-of-scope' })
  t.match(classify({ spec: 'not a Pod' }, blog), { state: 'out-of-scope' })
})

// An injected Pod's annotations copied into a template without its containers: patterns/injected
// and patterns/revision say the meter is there, under today's revision, and it is not. The
// webhook leaves such a claim standing (or refuses the Pod where a policy requires the sidecar),
// so the Pod lacks it for good: missing, with why, never current.
t.test('claimed under today’s revision but not held: missing, the claim unheld', async (t) => {
  const annotations = injected(pod()).metadata?.annotations ?? {}
  const copied = pod(annotations)
  const blog = inputNamespace('blog', { name: 'blog', labels: {}, annotations: {} })
  t.match(classify(copied, { ...context(), namespace: blog }), {
    state: 'missing',
    outdated: [],
    missing: [],
    unheld: [{ sidecar: 'metrics', why: /patterns-metrics/ }],
  })
  // In shop a policy requires the meter: the webhook would refuse the Pod, and says why.
  t.match(classify(copied, context()), {
    state: 'missing',
    unheld: [{ sidecar: 'metrics' }],
    refused: /patterns\/injected lists metrics, but the Pod does not hold it/,
  })
  t.match(classify(injected(pod()), context()), { state: 'current', unheld: [] })
})
