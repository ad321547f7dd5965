// POST /mutate: decode the AdmissionReview, look up the namespace, admit the Pod, encode.
import type { FastifyPluginAsync } from 'fastify'
import { admit, namespaceToRead } from '../admission/admit.ts'
import type { NamespaceLookup } from '../admission/namespaces.ts'
import { parseReview, toReview } from '../admission/review.ts'
import type { Catalog } from '../injection/catalog.ts'

export interface MutateOptions {
  /** The catalog in force now; it may change between reviews when the file is reloaded. */
  catalog: () => Catalog
  namespaces: NamespaceLookup
}

export const mutateRoute: FastifyPluginAsync<MutateOptions> = async (app, opts) => {
  app.post('/mutate', async (request, reply) => {
    const parsed = parseReview(request.body)
    if (!parsed.ok) {
      request.log.warn({ statusCode: 400, message: parsed.error }, 'bad request')
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: parsed.error })
    }
    // A failed lookup throws: the API server then applies the webhook's failurePolicy.
    const name = namespaceToRead(parsed.request)
    const namespace = name === undefined ? undefined : await opts.namespaces.get(name)
    const { response, outcome } = admit(parsed.request, { catalog: opts.catalog(), namespace })
    const { uid } = parsed.request
    request.log.info({ review: { uid, namespace: name, ...outcome } }, 'admission review')
    return toReview(response)
  })
}
