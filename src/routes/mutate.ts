// POST /mutate: decode the AdmissionReview, look up the namespace, admit the Pod, encode.
import type { FastifyPluginAsync } from 'fastify'
import { admit, namespaceToRead, type Outcome } from '../admission/admit.ts'
import type { NamespaceLookup } from '../admission/namespaces.ts'
import { parseReview, toReview } from '../admission/review.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { WebhookMetrics } from '../observability/metrics.ts'

export interface MutateOptions {
  /** The catalog in force now; it may change between reviews when the file is reloaded. */
  catalog: () => Catalog
  namespaces: NamespaceLookup
  metrics?: WebhookMetrics | undefined
}

export const mutateRoute: FastifyPluginAsync<MutateOptions> = async (app, opts) => {
  app.post('/mutate', async (request, reply) => {
    // Timed here, not with reply.elapsedTime, which Fastify only keeps when a logger is set.
    const started = performance.now()
    const parsed = parseReview(request.body)
    if (!parsed.ok) {
      request.log.warn({ statusCode: 400, message: parsed.error }, 'bad request')
      opts.metrics?.reviews.inc({ result: 'invalid', reason: 'not-a-review' })
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: parsed.error })
    }
    // A failed lookup throws: the API server then applies the webhook's failurePolicy.
    const name = namespaceToRead(parsed.request)
    const namespace = name === undefined ? undefined : await opts.namespaces.get(name)
    const { response, outcome } = admit(parsed.request, { catalog: opts.catalog(), namespace })
    const ms = Math.round((performance.now() - started) * 1000) / 1000
    if (opts.metrics) record(opts.metrics, outcome, ms)
    request.log.info(
      { review: { uid: parsed.request.uid, namespace: name, ...outcome, ms } },
      'admission review',
    )
    return toReview(response)
  })
}

function record(metrics: WebhookMetrics, outcome: Outcome, ms: number): void {
  const reason = 'reason' in outcome ? outcome.reason : 'sidecars'
  metrics.reviews.inc({ result: outcome.result, reason })
  metrics.reviewDuration.observe({ result: outcome.result }, ms / 1000)
  if (outcome.result === 'injected')
    for (const sidecar of outcome.sidecars) metrics.sidecarsInjected.inc({ sidecar })
}
