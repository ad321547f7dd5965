// POST /mutate: decode the AdmissionReview, admit the Pod, encode the answer.
import type { FastifyPluginAsync } from 'fastify'
import { type AdmissionConfig, admit } from '../admission/admit.ts'
import { parseReview, toReview } from '../admission/review.ts'

export const mutateRoute: FastifyPluginAsync<{ admission: AdmissionConfig }> = async (
  app,
  opts,
) => {
  app.post('/mutate', async (request, reply) => {
    const parsed = parseReview(request.body)
    if (!parsed.ok) {
      request.log.warn({ statusCode: 400, message: parsed.error }, 'bad request')
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: parsed.error })
    }
    const { response, outcome } = admit(parsed.request, opts.admission)
    const { uid, namespace } = parsed.request
    request.log.info({ review: { uid, namespace, ...outcome } }, 'admission review')
    return toReview(response)
  })
}
