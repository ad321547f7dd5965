// POST /mutate: decode the AdmissionReview, look up the namespace, admit the Pod, encode; an
// identical earlier review's answer is reused (src/admission/review-cache.ts).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { type AdmissionContext, admit, type Outcome } from '../admission/admit.ts'
import type { NamespaceLookup } from '../admission/namespaces.ts'
import { type EncodedReview, encodeReview } from '../admission/review.ts'
import {
  type AnswerSources,
  type CacheResult,
  createReviewCache,
} from '../admission/review-cache.ts'
import type { AdmissionRequest } from '../admission/types.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { WebhookMetrics } from '../observability/metrics.ts'

export interface MutateOptions {
  /** The catalog in force now; it may change between reviews when the file is reloaded. */
  catalog: () => Catalog
  namespaces: NamespaceLookup
  metrics?: WebhookMetrics | undefined
}

/** What a review is answered with, and what happened, for logs and metrics. */
interface Answer {
  review: EncodedReview
  outcome: Outcome
}

export const mutateRoute: FastifyPluginAsync<MutateOptions> = async (app, opts) => {
  // The body arrives as text: the review cache digests it, and decodes it only when it must, with
  // Fastify's own JSON parser (prototype-poisoning checks, its 400s for bad JSON).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  )
  const parseJson = app.getDefaultJsonParser('error', 'error')
  const decoder = (request: FastifyRequest) => (text: string) => {
    let decoded: { error: Error | null; value: unknown } | undefined
    parseJson(request, text, (error, value) => {
      decoded = { error, value }
    })
    if (!decoded) throw new Error('the JSON parser did not answer at once')
    if (decoded.error) throw decoded.error
    return decoded.value
  }
  const cache = createReviewCache<Answer>({
    compute: answer,
    size: (value) => value.review.length,
  })

  app.post('/mutate', async (request, reply) => {
    // Timed here, not with reply.elapsedTime, which Fastify only keeps when a logger is set.
    const started = performance.now()
    const sources: AnswerSources = {
      decode: decoder(request),
      catalog: opts.catalog,
      namespaces: opts.namespaces,
    }
    // A failed namespace lookup throws: the API server then applies the failurePolicy.
    const answered = await cache.answer(String(request.body ?? ''), sources)
    if (!answered.ok) {
      request.log.warn({ statusCode: 400, message: answered.error }, 'bad request')
      opts.metrics?.reviews.inc({ result: 'invalid', reason: 'not-a-review' })
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: answered.error })
    }
    const { uid, namespace, value, cache: cached } = answered
    const ms = Math.round((performance.now() - started) * 1000) / 1000
    if (opts.metrics) record(opts.metrics, value.outcome, cached, ms)
    request.log.info(
      { review: { uid, namespace, ...value.outcome, cache: cached, ms } },
      'admission review',
    )
    return reply.type('application/json; charset=utf-8').send(value.review.withUid(uid))
  })
}

function answer(request: AdmissionRequest, context: AdmissionContext): Answer {
  const { response, outcome } = admit(request, context)
  return { review: encodeReview(response), outcome }
}

function record(metrics: WebhookMetrics, outcome: Outcome, cached: CacheResult, ms: number) {
  const reason = 'reason' in outcome ? outcome.reason : 'sidecars'
  metrics.reviews.inc({ result: outcome.result, reason })
  metrics.reviewCache.inc({ result: cached })
  metrics.reviewDuration.observe({ result: outcome.result }, ms / 1000)
  if (outcome.result === 'injected')
    for (const sidecar of outcome.sidecars) metrics.sidecarsInjected.inc({ sidecar })
  // Counted on every review, cached or not: a cached answer replays its outcome whole.
  if ('notApplicable' in outcome)
    for (const sidecar of outcome.notApplicable ?? [])
      metrics.sidecarsSkipped.inc({ sidecar, reason: 'not-applicable' })
}
