// POST /mutate: decode the AdmissionReview, look up the namespace, admit the Pod, encode; an
// identical earlier review's answer is reused (src/admission/review-cache.ts).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type AdmissionContext, admit, type Outcome } from '../admission/admit.ts'
import type { NamespaceLookup } from '../admission/namespaces.ts'
import { type EncodedReview, encodeReview, errored, parseReview } from '../admission/review.ts'
import {
  type Answered,
  type AnswerSources,
  type CacheResult,
  createReviewCache,
  decodeOrUndefined,
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

  // Built once: a failed read becomes a NamespaceUnavailable, answered below on purpose.
  const namespaces = readOrFail(opts.namespaces)

  app.post('/mutate', async (request, reply) => {
    // Timed here, not with reply.elapsedTime, which Fastify only keeps when a logger is set.
    const started = performance.now()
    const text = String(request.body ?? '')
    const decode = decoder(request)
    const sources: AnswerSources = {
      decode,
      catalog: opts.catalog,
      namespaces,
    }
    let answered: Answered<Answer>
    try {
      answered = await cache.answer(text, sources)
    } catch (error) {
      return answerFailure({ request, reply, metrics: opts.metrics }, error, () =>
        decodeOrUndefined(decode, text),
      )
    }
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

/** The namespace could not be read from the API; the review cannot be answered either way. */
class NamespaceUnavailable extends Error {
  readonly namespace: string
  constructor(namespace: string, cause: unknown) {
    super(`namespace ${namespace} could not be read from the Kubernetes API`, { cause })
    this.namespace = namespace
  }
}

function readOrFail(namespaces: NamespaceLookup): NamespaceLookup {
  return {
    get: (name) =>
      namespaces.get(name).catch((error: unknown) => {
        throw new NamespaceUnavailable(name, error)
      }),
  }
}

interface Exchange {
  request: FastifyRequest
  reply: FastifyReply
  metrics: WebhookMetrics | undefined
}

// Three kinds of failure, each answered on purpose:
// - the namespace could not be read: HTTP 500, so that the API server applies the webhook's
//   failurePolicy (Ignore lets the Pod through bare, Fail refuses it), as for an unreachable
//   webhook: a review decided without the namespace's defaults and policies would be wrong;
// - a body the transport refused (bad JSON: a 4xx): the server's error handler answers it;
// - anything else is a bug: a review that decodes gets an AdmissionReview with its uid that
//   refuses the Pod (errored), so the API server shows why; one that does not decode, a 500.
async function answerFailure(exchange: Exchange, error: unknown, decoded: () => unknown) {
  const { request, reply, metrics } = exchange
  if (error instanceof NamespaceUnavailable) {
    request.log.warn({ err: error, namespace: error.namespace }, 'namespace unavailable')
    metrics?.reviews.inc({ result: 'error', reason: 'namespace-unavailable' })
    return reply
      .code(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: error.message })
  }
  const parsed = isClientError(error) ? undefined : parseReview(decoded())
  if (!parsed?.ok) throw error
  const { uid } = parsed.request
  request.log.error({ err: error, review: { uid } }, 'review failed')
  metrics?.reviews.inc({ result: 'error', reason: 'internal-error' })
  return reply.type('application/json; charset=utf-8').send(encodeReview(errored(uid)).withUid(uid))
}

function isClientError(error: unknown): boolean {
  const code = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof code === 'number' && code < 500
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
