// The webhook with its real namespace cache (client-node's list and watch) against a local fake of
// the Kubernetes API: namespace defaults and policies by label reach reviews, changes arrive by
// watch, and reviews cost no API call.
import { pino } from 'pino'
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { watchNamespaces } from '../../src/kube/namespaces.ts'
import { catalogFrom } from '../helpers/config.ts'
import { until } from '../helpers/eventually.ts'
import { startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { startWebhook } from '../helpers/https.ts'
import { podReview } from '../helpers/reviews.ts'

const catalog = catalogFrom({
  name: 'policies.yaml',
  text: 'policies:\n  - { name: prod-metering, namespaceSelector: { matchLabels: { env: prod } }, required: [metrics] }\n',
})

interface Answer {
  response: { allowed: boolean; patch?: string }
}
// The patterns/injected annotation the answer writes on a Pod that had no annotations.
function injected(answer: Answer): string | undefined {
  if (!answer.response.patch) return undefined
  const pod: { metadata: { annotations?: Record<string, string> } } = { metadata: {} }
  applyPatch(
    pod,
    JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()).filter(
      (op: { path: string }) => op.path.startsWith('/metadata'),
    ),
  )
  return pod.metadata.annotations?.['patterns/injected']
}

t.test(
  'labels and annotations of namespaces reach reviews through the watch-backed cache',
  async (t) => {
    const api = await startFakeApiServer()
    t.teardown(() => api.close())
    api.createNamespace('shop', { labels: { env: 'prod' } })
    api.createNamespace('blog', { annotations: { 'patterns/sidecar': 'auth' } })
    const watcher = watchNamespaces(api.kubeConfig(), pino({ level: 'silent' }))
    t.teardown(() => watcher.stop())
    const webhook = await startWebhook(t, {
      catalog: () => catalog,
      namespaces: watcher.lookup,
      ready: watcher.synced,
    })
    await watcher.start()
    t.equal((await webhook.get('/readyz')).status, 200, 'ready once the first list is in')

    const review = async (namespace: string) =>
      (await webhook.post('/mutate', JSON.stringify(podReview(namespace)))).json as Answer
    const before = api.requests().length
    t.equal(injected(await review('shop')), 'metrics', 'the policy selects env=prod')
    t.equal(injected(await review('blog')), 'auth', 'the namespace default')
    t.equal(api.requests().length, before, 'no API call per review')

    api.updateNamespace('shop', { labels: { env: 'staging' } })
    await until(async () => injected(await review('shop')) === undefined, {
      what: 'the relabelled namespace to reach reviews',
    })
    t.equal(
      injected(await review('shop')),
      undefined,
      'a relabelled namespace is seen through the watch',
    )
  },
)

t.test('not ready until the namespace cache has its first list', async (t) => {
  const api = await startFakeApiServer()
  t.teardown(() => api.close())
  const watcher = watchNamespaces(api.kubeConfig({ token: 'wrong' }), pino({ level: 'silent' }))
  t.teardown(() => watcher.stop().catch(() => undefined))
  watcher.start().catch(() => undefined)
  const webhook = await startWebhook(t, {
    catalog: () => catalog,
    namespaces: watcher.lookup,
    ready: watcher.synced,
  })
  t.same(await webhook.get('/readyz'), { status: 503, json: { status: 'not ready' } })
  t.equal((await webhook.get('/healthz')).status, 200, 'but alive')
})
