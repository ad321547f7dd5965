// How the webhook answers when it cannot answer normally (through Fastify's inject(): the answer's
// shape is the contract here, not TLS): a bug yields an AdmissionReview with the request's uid
// that refuses the Pod and says so, and is never kept by the review memo; a namespace that
// cannot be read yields an HTTP 500 on purpose, so that the API server applies failurePolicy.
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import type { NamespaceLookup } from '../../src/admission/namespaces.ts'
import type { Catalog } from '../../src/injection/catalog.ts'
import { createWebhookMetrics } from '../../src/observability/metrics.ts'
import { buildServer } from '../../src/server.ts'
import { testCatalog } from '../helpers/config.ts'
import { capturingLog } from '../helpers/log.ts'
import { podReview } from '../helpers/reviews.ts'

interface Answer {
  response: {
    uid: string
    allowed: boolean
    status?: { code: number; reason: string; message: string }
  }
}

/** A server on `catalog` and `namespaces`, its log lines and its metrics. */
function server(t: Test, catalog: () => Catalog, namespaces: NamespaceLookup) {
  const { log, lines } = capturingLog()
  const metrics = createWebhookMetrics(new Registry())
  const app = buildServer({ catalog, namespaces, metrics, logger: log })
  t.teardown(() => app.close())
  const post = (body: unknown) =>
    app.inject({
      method: 'POST',
      url: '/mutate',
      headers: { 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    })
  const count = async (labels: string) => {
    const text = await metrics.registry.metrics()
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`sidecar_patterns_admission_reviews_total{${labels}} `))
    return Number(line?.split(' ')[1] ?? 0)
  }
  return { post, lines, count }
}

const anywhere: NamespaceLookup = { get: async () => undefined }

// The built-in metrics sidecar, with a bug planted in its parameter check.
function catalogWithBug(calls: { count: number }): Catalog {
  const metrics = testCatalog.sidecars.get('metrics')
  if (!metrics) throw new Error('the test catalog has no metrics sidecar')
  const broken = {
    ...metrics,
    configure: () => {
      calls.count++
      throw new TypeError('planted bug')
    },
  }
  const sidecars = new Map([...testCatalog.sidecars, ['metrics', broken]])
  return { ...testCatalog, revision: 'planted-bug', sidecars }
}

t.test('a bug answers the review with its uid, refusing the Pod, and is not cached', async (t) => {
  const calls = { count: 0 }
  const catalog = catalogWithBug(calls)
  const { post, lines, count } = server(t, () => catalog, anywhere)
  const review = podReview('shop', { 'patterns/sidecar': 'metrics' })
  for (const attempt of [1, 2]) {
    const reply = await post(review)
    t.equal(reply.statusCode, 200, `attempt ${attempt}: an AdmissionReview, not an HTTP error`)
    const { response } = reply.json() as Answer
    t.same(
      [response.uid, response.allowed, response.status?.code, response.status?.reason],
      [review.request.uid, false, 500, 'InternalError'],
    )
    t.match(response.status?.message, `uid ${review.request.uid}`, 'names the review for the log')
  }
  t.equal(calls.count, 2, 'computed again: a failed answer is never kept')
  const logged = lines.filter((l) => l.msg === 'review failed')
  t.equal(logged.length, 2)
  t.match(logged[0], {
    level: 50,
    review: { uid: review.request.uid },
    err: { message: 'planted bug' },
  })
  t.equal(await count('result="error",reason="internal-error"'), 2)
})

t.test('a bug before deciding (the catalog) is answered the same way', async (t) => {
  const { post } = server(
    t,
    () => {
      throw new Error('planted bug')
    },
    anywhere,
  )
  const review = podReview('shop', { 'patterns/sidecar': 'metrics' })
  const reply = await post(review)
  const { response } = reply.json() as Answer
  t.same([reply.statusCode, response.uid, response.allowed], [200, review.request.uid, false])
})

t.test('a namespace that cannot be read is an HTTP 500, on purpose', async (t) => {
  const failing: NamespaceLookup = {
    get: async () => {
      throw new Error('connect ECONNREFUSED')
    },
  }
  const { post, lines, count } = server(t, () => testCatalog, failing)
  const reply = await post(podReview('shop', { 'patterns/sidecar': 'metrics' }))
  t.equal(reply.statusCode, 500, 'the API server applies the failure policy')
  t.match(reply.json(), { message: 'namespace shop could not be read from the Kubernetes API' })
  t.match(
    lines.find((l) => l.msg === 'namespace unavailable'),
    { level: 40, namespace: 'shop' },
  )
  t.equal(await count('result="error",reason="namespace-unavailable"'), 1)
})

t.test('a body that is not JSON is still the transport’s 400, not a refusal', async (t) => {
  const { post } = server(t, () => testCatalog, anywhere)
  const reply = await post('{"apiVersion": ')
  t.equal(reply.statusCode, 400)
})
