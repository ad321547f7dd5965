// Liveness and readiness. Readiness waits for what reviews depend on (the namespace cache's first
// list); while the server closes, Fastify answers 503 to new requests (return503OnClosing).
import type { FastifyPluginAsync } from 'fastify'

export interface HealthOptions {
  /** Whether the webhook can answer reviews as it should. */
  ready: () => boolean
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) =>
    opts.ready() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  )
}
