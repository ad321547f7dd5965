// Builds the webhook's Fastify instance; it never listens itself, so tests can inject() or
// listen on an ephemeral port with the same configuration.
import { STATUS_CODES } from 'node:http'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import type { NamespaceLookup } from './admission/namespaces.ts'
import type { Catalog } from './injection/catalog.ts'
import { healthRoutes } from './routes/health.ts'
import { mutateRoute } from './routes/mutate.ts'

// The API server accepts request bodies up to 3 MiB (apiserver's MaxRequestBodyBytes) and stores
// objects up to 1.5 MiB (etcd). A review carries the object, and oldObject on updates, each
// possibly up to 3 MiB as JSON, plus a small envelope: 7 MiB admits anything the API server can
// send, as controller-runtime's webhook server does.
export const BODY_LIMIT = 7 * 1024 * 1024

export interface ServerOptions {
  /** The catalog in force now. */
  catalog: () => Catalog
  namespaces: NamespaceLookup
  /** Readiness; ready unless told otherwise. */
  ready?: () => boolean
  /** PEM certificate chain and key; without them the server speaks plain HTTP (inject() tests). */
  tls?: { cert: string; key: string }
  /** A pino logger; none means silence. */
  logger?: FastifyBaseLogger
}

/** The webhook server with its routes, ready to listen. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { tls, logger } = options
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    // One line per review, written by the route, instead of two generic lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    ...(tls && { https: { ...tls, minVersion: 'TLSv1.2' as const } }),
  })
  app.setErrorHandler(answerError)
  app.register(healthRoutes, { ready: options.ready ?? (() => true) })
  app.register(mutateRoute, { catalog: options.catalog, namespaces: options.namespaces })
  return app
}

// Fastify's own 4xx errors (bad JSON, empty body, wrong content type, too large) keep their status
// and message; anything else is our bug, logged, and answered without internals.
function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const statusCode =
    error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500
  if (statusCode === 500) request.log.error({ err: error }, 'request failed')
  else request.log.warn({ statusCode, message: error.message, url: request.url }, 'bad request')
  const message = statusCode === 500 ? 'internal error' : error.message
  return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode], message })
}
