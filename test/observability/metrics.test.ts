// The webhook's metrics after a known sequence of reviews, scraped from the plain-HTTP port.
import { Registry } from 'prom-client'
import t from 'tap'
import { request } from 'undici'
import { createWebhookMetrics } from '../../src/observability/metrics.ts'
import { startMetricsServer } from '../../src/observability/metrics-server.ts'
import { startWebhook } from '../helpers/https.ts'
import { podReview } from '../helpers/reviews.ts'

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
  t.equal(value('sidecar_patterns_sidecars_injected_total{sidecar="metrics"}'), 2)
  t.equal(value('sidecar_patterns_sidecars_injected_total{sidecar="auth"}'), 1)
  t.equal(value('sidecar_patterns_admission_review_duration_seconds_count{result="injected"}'), 2)
  const seconds = value('sidecar_patterns_admission_review_duration_seconds_sum{result="injected"}')
  t.ok(seconds > 0 && seconds < 5, `review latency is measured (${seconds} s for two)`)
  t.ok(value('process_resident_memory_bytes') > 0, 'process metrics')
  t.equal((await request(`http://127.0.0.1:${server.port}/other`)).statusCode, 404)
})

t.test('reviews answered from the review cache are counted as hits', async (t) => {
  const metrics = createWebhookMetrics(new Registry())
  const webhook = await startWebhook(t, { metrics })
  // Pods of one template: the same review but for its uid.
  for (let i = 0; i < 3; i++) {
    const answer = await webhook.post(
      '/mutate',
      JSON.stringify(podReview('shop', { 'patterns/sidecar': 'metrics' })),
    )
    t.equal(answer.status, 200)
  }
  const counted = await metrics.reviewCache.get()
  const count = (result: string) =>
    counted.values.find((v) => v.labels.result === result)?.value ?? 0
  t.same([count('miss'), count('hit'), count('bypass')], [1, 2, 0])
  const injected = await metrics.sidecarsInjected.get()
  t.equal(injected.values[0]?.value, 3, 'a cached answer still counts its sidecars')
})
