// The webhook's metrics after a known sequence of reviews, scraped from the plain-HTTP port.
import { randomUUID } from 'node:crypto'
import { Registry } from 'prom-client'
import t from 'tap'
import { request } from 'undici'
import type { Pod } from '../../src/injection/pod.ts'
import { createWebhookMetrics } from '../../src/observability/metrics.ts'
import { startMetricsServer } from '../../src/observability/metrics-server.ts'
import { logShippingCatalog, testCatalog } from '../helpers/config.ts'
import { startWebhook } from '../helpers/https.ts'
import { injected } from '../helpers/injected.ts'
import { capturingLog } from '../helpers/log.ts'
import { podReview, staticNamespaces } from '../helpers/reviews.ts'

t.test('reviews by result and reason, sidecars by name, latency, process metrics', async (t) => {
  const metrics = createWebhookMetrics(new Registry())
  const server = await startMetricsServer(metrics.registry, '127.0.0.1', 0)
  t.teardown(() => server.close())
  const webhook = await startWebhook(t, { metrics })
  const send = (annotations: Record<string, string>) =>
    webhook.post('/mutate', JSON.stringify(podReview('shop', annotations)))
  await send({ 'patterns/sidecar': 'metrics, auth' })
  await send({ 'patterns/sidecar': 'metrics' })
  await send({ 'patterns/sidecar': 'vault' })
  await send({})
  await webhook.post('/mutate', '{"not": "a review"}')
  await webhook.post('/mutate', '{')

  const scrape = await request(`http://127.0.0.1:${server.port}/metrics`)
  t.equal(scrape.statusCode, 200)
  const text = await scrape.body.text()
  const value = (line: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${line} `))
        ?.split(' ')[1],
    )
  t.equal(value('sidecar_patterns_admission_reviews_total{result="injected",reason="sidecars"}'), 2)
  t.equal(
    value('sidecar_patterns_admission_reviews_total{result="denied",reason="invalid-annotations"}'),
    1,
  )
  t.equal(
    value('sidecar_patterns_admission_reviews_total{result="skipped",reason="not-requested"}'),
    1,
  )
  t.equal(
    value('sidecar_patterns_admission_reviews_total{result="invalid",reason="not-a-review"}'),
    1,
  )
  t.equal(
    value(
      'sidecar_patterns_admission_reviews_total{result="invalid",reason="FST_ERR_CTP_INVALID_JSON_BODY"}',
    ),
    1,
  )
  // By name and the digest of the catalog entry rendered: one series per entry injected.
  const entry = (name: string) => testCatalog.sidecars.get(name)?.digest
  t.equal(
    value(
      `sidecar_patterns_sidecars_injected_total{sidecar="metrics",entry="${entry('metrics')}"}`,
    ),
    2,
  )
  t.equal(
    value(`sidecar_patterns_sidecars_injected_total{sidecar="auth",entry="${entry('auth')}"}`),
    1,
  )
  t.equal(value('sidecar_patterns_admission_review_duration_seconds_count{result="injected"}'), 2)
  const seconds = value('sidecar_patterns_admission_review_duration_seconds_sum{result="injected"}')
  t.ok(seconds > 0 && seconds < 5, `review latency is measured (${seconds} s for two)`)
  t.ok(value('process_resident_memory_bytes') > 0, 'process metrics')
  t.equal((await request(`http://127.0.0.1:${server.port}/other`)).statusCode, 404)
})

t.test('reviews answered from the review memo are counted as hits', async (t) => {
  const metrics = createWebhookMetrics(new Registry())
  const webhook = await startWebhook(t, { metrics })
  // Pods of one template: the same review but for its uid, kept from the second on.
  for (let i = 0; i < 4; i++) {
    const answer = await webhook.post(
      '/mutate',
      JSON.stringify(podReview('shop', { 'patterns/sidecar': 'metrics' })),
    )
    t.equal(answer.status, 200)
  }
  const counted = await metrics.reviewCache.get()
  const count = (result: string) =>
    counted.values.find((v) => v.labels.result === result)?.value ?? 0
  t.same([count('miss'), count('hit'), count('bypass')], [2, 2, 0])
  const injected = await metrics.sidecarsInjected.get()
  t.equal(injected.values[0]?.value, 4, 'a cached answer still counts its sidecars')
})

// Sidecars of a namespace default that cannot apply (a worker with no port to front): the skip
// reason, one count per sidecar left out (also beside sidecars injected), and the review log line,
// for reviews answered from the cache as well, which replay the first answer's outcome.
t.test('sidecars left out as not applicable are counted and logged, cached or not', async (t) => {
  const metrics = createWebhookMetrics(new Registry())
  const { log: logger, lines } = capturingLog<{ msg: string; review?: Record<string, unknown> }>()
  const namespaces = staticNamespaces([
    { name: 'media', labels: {}, annotations: { 'patterns/sidecar': 'metrics, auth' } },
  ])
  const webhook = await startWebhook(t, { metrics, logger, namespaces })
  const worker = [{ name: 'worker', image: 'example/worker:1' }]
  const repo = 'https://github.com/example/private-repo.git'
  const send = (annotations: Record<string, string>) =>
    webhook.post('/mutate', JSON.stringify(podReview('media', annotations, worker)))
  for (let i = 0; i < 4; i++) await send({})
  await send({ 'patterns/sidecar': 'git-sync', 'patterns/git-sync.repo': repo })
  await webhook.post('/mutate', JSON.stringify(podReview('shop', {})))

  // Any of the counters: the value of the series with these labels.
  const count = async (
    counter: { get(): Promise<{ values: { labels: object; value: number }[] }> },
    labels: Record<string, string>,
  ) =>
    (await counter.get()).values.find((v) =>
      Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
    )?.value ?? 0
  t.equal(await count(metrics.reviews, { result: 'skipped', reason: 'not-applicable' }), 4)
  t.equal(await count(metrics.reviews, { result: 'injected', reason: 'sidecars' }), 1)
  for (const sidecar of ['metrics', 'auth'])
    t.equal(
      await count(metrics.sidecarsSkipped, { sidecar, reason: 'not-applicable' }),
      5,
      `${sidecar}: each review that left it out, cache hits and injected reviews included`,
    )
  t.equal(await count(metrics.sidecarsInjected, { sidecar: 'git-sync' }), 1)
  t.equal(await count(metrics.reviewCache, { result: 'hit' }), 2, 'two answers came from the cache')

  const reviews = lines.filter((l) => l.msg === 'admission review').map((l) => l.review)
  t.match(reviews, [
    {
      result: 'skipped',
      reason: 'not-applicable',
      notApplicable: ['metrics', 'auth'],
      cache: 'miss',
    },
    {
      result: 'skipped',
      reason: 'not-applicable',
      notApplicable: ['metrics', 'auth'],
      cache: 'miss',
    },
    {
      result: 'skipped',
      reason: 'not-applicable',
      notApplicable: ['metrics', 'auth'],
      cache: 'hit',
    },
    {
      result: 'skipped',
      reason: 'not-applicable',
      notApplicable: ['metrics', 'auth'],
      cache: 'hit',
    },
    { result: 'injected', sidecars: ['git-sync'], notApplicable: ['metrics', 'auth'] },
    { result: 'skipped', reason: 'not-requested' },
  ])
  t.notOk(reviews[5] && 'notApplicable' in reviews[5], 'absent when nothing was left out')
  t.notMatch(JSON.stringify(lines), repo, 'no annotation value reaches the log')
})

// The API server shows the Pod's author why it was refused; the operator reading the log sees the
// same sentence, but without the values quoted in it (a repository URL refused for the
// credentials in it must not land in the log).
t.test("a denial's log line carries its message, without the values", async (t) => {
  const { log: logger, lines } = capturingLog<{ msg: string; review?: Record<string, unknown> }>()
  const webhook = await startWebhook(t, { logger })
  const repo = 'https://user:ghp_secret@github.com/example/site.git'
  const answer = await webhook.post(
    '/mutate',
    JSON.stringify(
      podReview('shop', { 'patterns/sidecar': 'git-sync, vault', 'patterns/git-sync.repo': repo }),
    ),
  )
  const message = (answer.json as { response: { status: { message: string } } }).response.status
    .message
  t.match(message, /unknown sidecar "vault"/, 'the API server gets the values')
  const review = lines.find((l) => l.msg === 'admission review')?.review
  t.match(review, { result: 'denied', reason: 'invalid-annotations' })
  t.equal(review?.message, message.replaceAll(/"(?:[^"\\]|\\.)*"/g, '"…"'))
  t.match(review?.message, /patterns\/sidecar: unknown sidecar "…"/)
  t.notMatch(JSON.stringify(lines), /ghp_secret|vault/, 'no value reaches the log')
})

// Called again after a webhook without a record we know added a container, the review adds no
// sidecar and completes that container's app mounts: counted and logged as an injection, with a
// reason and the containers of its own, not as one of `sidecars` with none named.
t.test('a review that only completes app mounts says so', async (t) => {
  const { log: logger, lines } = capturingLog<{ msg: string; review?: Record<string, unknown> }>()
  const metrics = createWebhookMetrics(new Registry())
  const webhook = await startWebhook(t, { metrics, logger, catalog: () => logShippingCatalog })
  const asked = podReview('shop', {
    'patterns/sidecar': 'log-shipper',
    'patterns/log-shipper.endpoint': 'https://logs.example.com',
  })
  const pod = injected(asked.request.object as Pod, logShippingCatalog)
  pod.spec.containers.push({ name: 'agent', image: 'example/agent:1' })
  const again = { ...asked, request: { ...asked.request, uid: randomUUID(), object: pod } }
  const answer = await webhook.post('/mutate', JSON.stringify(again))
  t.match(answer.json, { response: { allowed: true, patchType: 'JSONPatch' } })
  t.equal(
    (await metrics.reviews.get()).values.find((v) => v.labels.result === 'injected')?.labels.reason,
    'mounts-completed',
  )
  const review = lines.find((l) => l.msg === 'admission review')?.review
  t.match(review, { result: 'injected', sidecars: [], completed: ['agent'] })
})
