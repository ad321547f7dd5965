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

// Namespace names come in reviews, which anyone who reaches the webhook can write. Before the
// check, '.' made the webhook list every namespace with its token, '..' read /api/v1, and each
// review naming an unknown namespace cost a GET.
t.test(
  'names from reviews cost the API server nothing unless they can be namespaces',
  async (t) => {
    const api = await startFakeApiServer()
    t.teardown(() => api.close())
    api.createNamespace('shop', { labels: { env: 'prod' } })
    const watcher = watchNamespaces(api.kubeConfig(), pino({ level: 'silent' }))
    t.teardown(() => watcher.stop())
    const webhook = await startWebhook(t, { catalog: () => catalog, namespaces: watcher.lookup })
    await watcher.start()
    const review = async (namespace: string) =>
      (await webhook.post('/mutate', JSON.stringify(podReview(namespace)))).json as {
        response: { allowed: boolean; status?: { code: number; message: string } }
      }
    const before = api.requests().length
    for (const name of ['.', '..', '../../apis', 'a/b', 'Shop', 'x'.repeat(64)]) {
      t.match((await review(name)).response, {
        allowed: false,
        status: { code: 400, message: /is not a namespace name/ },
      })
    }
    t.same(api.requests().slice(before), [], 'refused without a request')
    for (let i = 0; i < 10; i++) t.equal((await review('nowhere')).response.allowed, true)
    const reads = api
      .requests()
      .slice(before)
      .map((r) => r.path)
    t.same(reads, ['/api/v1/namespaces/nowhere'], 'one GET for ten reviews of an unknown name')
  },
)
