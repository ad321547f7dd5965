// Liveness and readiness. Readiness waits for what reviews depend on (the namespace cache's first
// list) and turns false when a graceful stop begins (buildServer's drain), so that endpoints drop
// this Pod; requests that still arrive are answered, not refused (return503OnClosing is off).
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
