// Builds the webhook's Fastify instance; it never listens itself, so tests can inject() or
// listen on an ephemeral port with the same configuration.
import { STATUS_CODES } from 'node:http'
import underPressure from '@fastify/under-pressure'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import type { NamespaceLookup } from './admission/namespaces.ts'
import { limitBodyBytes } from './body-budget.ts'
import type { Catalog } from './injection/catalog.ts'
import type { WebhookMetrics } from './observability/metrics.ts'
import { healthRoutes } from './routes/health.ts'
import { mutateRoute } from './routes/mutate.ts'
import { CONNECTION_LIMITS, type ConnectionLimits } from './server-limits.ts'

// The API server accepts request bodies up to 3 MiB (apiserver's MaxRequestBodyBytes) and stores
// objects up to 1.5 MiB (etcd). A review carries the object, and oldObject on updates, each
// possibly up to 3 MiB as JSON, plus a small envelope: 7 MiB admits anything the API server can
// send, as controller-runtime's webhook server does.
export const BODY_LIMIT = 7 * 1024 * 1024

// A review takes well under a millisecond of CPU. An event loop a second late means a queue that
// will not be answered within the webhook's 5 s timeout: answer 503 at once instead, and the API
// server applies the failure policy without waiting.
export const MAX_EVENT_LOOP_DELAY_MS = 1000

// Two bodies of the largest size held at once, one of them decoded at a time (up to 15 times its
// size, see src/body-budget.ts): six hostile 7.3 MB bodies at once peaked at 499 MB resident with
// this budget (three shed), within the Deployment's 512 MiB limit. Ordinary reviews (2 to 100 KB)
// fit by the hundreds.
export const BODY_BUDGET = 2 * BODY_LIMIT

export interface ServerOptions {
  /** The catalog in force now. */
  catalog: () => Catalog
  namespaces: NamespaceLookup
  /** Readiness; ready unless told otherwise. */
  ready?: () => boolean
  /** PEM certificate chain and key; without them the server speaks plain HTTP (inject() tests). */
  tls?: { cert: string; key: string }
  /** Bytes of request bodies held at once; BODY_BUDGET unless told otherwise (tests). */
  bodyBudget?: number
  /** A pino logger; none means silence. */
  logger?: FastifyBaseLogger
  metrics?: WebhookMetrics
  /** Replaces some of CONNECTION_LIMITS (tests shorten the deadlines). */
  limits?: Partial<ConnectionLimits>
}

/** The webhook server with its routes, ready to listen; `drain()` starts a graceful stop. */
export function buildServer(options: ServerOptions): FastifyInstance & { drain(): void } {
  const { tls, logger } = options
  const limits = { ...CONNECTION_LIMITS, ...options.limits }
  // Node's own options: Fastify passes them to the server it creates.
  const deadlines = {
    headersTimeout: limits.headTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  }
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // One line per review, written by the route, instead of two generic lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests that arrive on a kept-alive connection while closing are still answered: a 503
    // there would be a failed review. Draining (below) moves clients off those connections.
    return503OnClosing: false,
    ...(tls
      ? {
          https: {
            ...tls,
            minVersion: 'TLSv1.2' as const,
            handshakeTimeout: limits.handshakeTimeoutMs,
            ...deadlines,
          },
        }
      : { http: deadlines }),
  })
  app.server.maxConnections = limits.maxConnections
  let draining = false
  // While draining, every answer asks the client to close its connection, so that the API server
  // opens new ones to the replicas that stay, and none is idle here when the listener closes.
  // A callback hook: an async one costs every answer a promise.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
  app.setErrorHandler(answerError(options.metrics))
  limitBodyBytes(app, { bytes: options.bodyBudget ?? BODY_BUDGET, bodyLimit: BODY_LIMIT })
  app.register(underPressure, {
    maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
    exposeStatusRoute: false,
  })
  const ready = options.ready ?? (() => true)
  app.register(healthRoutes, { ready: () => !draining && ready() })
  app.register(mutateRoute, {
    catalog: options.catalog,
    namespaces: options.namespaces,
    metrics: options.metrics,
  })
  return Object.assign(app, {
    drain: () => {
      draining = true
    },
  })
}

// Fastify's own 4xx errors (bad JSON, empty body, wrong content type, too large) and the 503 of
// an overloaded server keep their status and message; anything else is our bug, logged, and
// answered without internals.
function answerError(metrics: WebhookMetrics | undefined) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const statusCode = statusOf(error)
    if (statusCode === 500) request.log.error({ err: error }, 'request failed')
    else
      request.log.warn({ statusCode, message: error.message, url: request.url }, 'request refused')
    if (request.url === '/mutate')
      metrics?.reviews.inc({
        result: resultOf(statusCode),
        reason: error.code ?? String(statusCode),
      })
    const message = statusCode === 500 ? 'internal error' : error.message
    return reply.code(statusCode).send({ statusCode, error: STATUS_CODES[statusCode], message })
  }
}

function statusOf(error: FastifyError): number {
  const code = error.statusCode ?? 500
  return code < 500 || code === 503 ? code : 500
}

function resultOf(statusCode: number): string {
  if (statusCode === 500) return 'error'
  return statusCode === 503 ? 'shed' : 'invalid'
}
