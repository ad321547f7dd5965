// The meter's own port (--metrics-port): GET /metrics for Prometheus, /healthz for liveness
// (and the readiness probe the webhook injects), /readyz for readiness, which fails while the
// meter drains. Three fixed routes need no framework.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'

export interface AdminContext {
  registry: Registry
  /** False once the meter drains. */
  ready(): boolean
}

/** The `request` listener of the metrics port. */
export function adminRequests(context: AdminContext) {
  const routes = new Map<string, (res: ServerResponse) => void>([
    [
      '/metrics',
      (res) => {
        context.registry.metrics().then(
          (text) => reply(res, 200, text, { 'content-type': context.registry.contentType }),
          () => reply(res, 500, 'metrics could not be collected\n'),
        )
      },
    ],
    ['/healthz', (res) => reply(res, 200, 'ok\n')],
    [
      '/readyz',
      (res) => (context.ready() ? reply(res, 200, 'ready\n') : reply(res, 503, 'draining\n')),
    ],
  ])
  return (req: IncomingMessage, res: ServerResponse): void => {
    const route = routes.get((req.url ?? '/').split('?', 1)[0] ?? '')
    if (req.method !== 'GET' && req.method !== 'HEAD')
      reply(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' })
    else if (route) route(res)
    else reply(res, 404, 'not found: the meter serves /metrics, /healthz and /readyz here\n')
  }
}

function reply(res: ServerResponse, status: number, body: string, fields = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...fields,
  })
  res.end(body)
}
