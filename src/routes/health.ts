// Liveness and readiness. While the server closes, Fastify answers 503 to new requests
// (return503OnClosing), so readiness turns false before the listener goes away.
import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async () => ({ status: 'ready' }))
}
