// POST /mutate, in the order a review is answered: decode the AdmissionReview, read the context
// (catalog and namespace), admit the Pod, encode the answer. Beside that path, the review memo
// (src/admission/review-memo.ts) serves an earlier answer to a review that comes again.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { errorCodes } from 'fastify'
import { type AdmissionContext, admit, namespaceToRead, type Outcome } from '../admission/admit.ts'
import type { NotAReview } from '../admission/decode.ts'
import type { NamespaceLookup } from '../admission/namespaces.ts'
import { type EncodedReview, encodeReview, errored } from '../admission/review.ts'
import { createReviewMemo, type MemoResult } from '../admission/review-memo.ts'
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
  /** The namespace the review was answered for, if it needed one (see namespaceToRead). */
  namespace: string | undefined
}

export const mutateRoute: FastifyPluginAsync<MutateOptions> = async (app, opts) => {
  // The body arrives as text: the memo digests it before anything decodes it.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  )
  const memo = createReviewMemo<Answer>((answer) => answer.review.length)
  // Built once: a failed read becomes a NamespaceUnavailable, answered below on purpose.
  const namespaces = readOrFail(opts.namespaces)
  const contextFor = async (namespace: string | undefined): Promise<AdmissionContext> => ({
    catalog: opts.catalog(),
    namespace: namespace === undefined ? undefined : await namespaces.get(namespace),
  })

  app.post('/mutate', async (request, reply) => {
    // Timed here, not with reply.elapsedTime, which Fastify only keeps when a logger is set.
    const started = performance.now()
    const exchange = { request, reply, metrics: opts.metrics, started }
    const text = String(request.body ?? '')
    let uid: string | undefined
    try {
      const key = memo.keyOf(text)
      const recalled = key && memo.recall(key, contextFor)
      const kept = recalled && (await recalled)
      if (kept) return answered(exchange, key.uid, kept, 'hit')

      const decoded = memo.decode(text, key)
      if (!decoded.ok) return notAReview(exchange, decoded.reason, decoded.message)
      const review = decoded.request
      uid = review.uid
      const namespace = namespaceToRead(review)
      const context = await contextFor(namespace)
      const answer = answerReview(review, namespace, context)
      const cache = decoded.keep ? memo.keep(decoded.keep, namespace, context, answer) : 'bypass'
      return answered(exchange, uid, answer, cache)
    } catch (error) {
      return failed(exchange, uid, error)
    }
  })
}

/** Admits the review and encodes the answer, once for every review of the same text. */
function answerReview(
  review: AdmissionRequest,
  namespace: string | undefined,
  context: AdmissionContext,
): Answer {
  const { response, outcome } = admit(review, context)
  return { review: encodeReview(response), outcome, namespace }
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
  /** performance.now() when the review arrived. */
  started: number
}

function answered(exchange: Exchange, uid: string, answer: Answer, cache: MemoResult) {
  const { request, reply, metrics, started } = exchange
  const ms = Math.round((performance.now() - started) * 1000) / 1000
  if (metrics) record(metrics, answer.outcome, cache, ms)
  const { namespace, outcome } = answer
  // A refusal is what an operator looks for (README, "Logs"): it stands out at warn.
  const level = outcome.result === 'denied' ? 'warn' : 'info'
  request.log[level]({ review: { uid, namespace, ...outcome, cache, ms } }, 'admission review')
  return reply.type('application/json; charset=utf-8').send(answer.review.withUid(uid))
}

// A body that is no review is refused as Fastify refuses bodies it cannot parse: the same 400s,
// the same messages, counted under the same reasons.
function notAReview(exchange: Exchange, reason: NotAReview, message: string) {
  if (reason === 'empty') throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY()
  if (reason === 'not-json') throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY()
  const { request, reply, metrics } = exchange
  request.log.warn({ statusCode: 400, message }, 'bad request')
  metrics?.reviews.inc({ result: 'invalid', reason })
  return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message })
}

// Three kinds of failure, each answered on purpose:
// - the namespace could not be read: HTTP 500, so that the API server applies the webhook's
//   failurePolicy (Ignore lets the Pod through bare, Fail refuses it), as for an unreachable
//   webhook: a review decided without the namespace's defaults and policies would be wrong;
// - a body that is no JSON (a 4xx): the server's error handler answers it, as Fastify's own;
// - anything else is a bug: a review that decoded gets an AdmissionReview with its uid that
//   refuses the Pod (errored), so the API server shows why; one that did not, a 500.
function failed(exchange: Exchange, uid: string | undefined, error: unknown) {
  const { request, reply, metrics } = exchange
  if (error instanceof NamespaceUnavailable) {
    request.log.warn({ err: error, namespace: error.namespace }, 'namespace unavailable')
    metrics?.reviews.inc({ result: 'error', reason: 'namespace-unavailable' })
    return reply
      .code(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: error.message })
  }
  if (uid === undefined || isClientError(error)) throw error
  request.log.error({ err: error, review: { uid } }, 'review failed')
  metrics?.reviews.inc({ result: 'error', reason: 'internal-error' })
  return reply.type('application/json; charset=utf-8').send(encodeReview(errored(uid)).withUid(uid))
}

function isClientError(error: unknown): boolean {
  const code = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof code === 'number' && code < 500
}

// An injection that added no sidecar only completed the app mounts of earlier ones.
function reasonOf(outcome: Outcome): string {
  if ('reason' in outcome) return outcome.reason
  return outcome.sidecars.length ? 'sidecars' : 'mounts-completed'
}

function record(metrics: WebhookMetrics, outcome: Outcome, cached: MemoResult, ms: number) {
  metrics.reviews.inc({ result: outcome.result, reason: reasonOf(outcome) })
  metrics.reviewCache.inc({ result: cached })
  metrics.reviewDuration.observe({ result: outcome.result }, ms / 1000)
  if (outcome.result === 'injected')
    for (const [i, sidecar] of outcome.sidecars.entries())
      metrics.sidecarsInjected.inc({ sidecar, entry: outcome.entries[i] ?? '' })
  // Counted on every review, cached or not: a cached answer replays its outcome whole.
  if ('notApplicable' in outcome)
    for (const sidecar of outcome.notApplicable ?? [])
      metrics.sidecarsSkipped.inc({ sidecar, reason: 'not-applicable' })
}
