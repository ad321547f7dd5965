// The fake API server's HTTP plumbing: a route table, and the Status objects the real API server
// answers errors with (k8s.io/apimachinery/pkg/apis/meta/v1 Status, reasons from StatusReason).
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface RouteRequest {
  url: URL
  /** Named groups of the route's path pattern, URL-decoded. */
  params: Readonly<Record<string, string>>
  raw: IncomingMessage
}

/** One REST endpoint; more resources are more rows in the table. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: RegExp
  handle(request: RouteRequest, response: ServerResponse): void
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  details?: { name: string; kind: string }
  code: number
}

/** A failure Status exactly as the API server writes it. */
export function status(
  code: number,
  reason: string,
  message: string,
  details?: Status['details'],
): Status {
  const base = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' } as const
  return details ? { ...base, message, reason, details, code } : { ...base, message, reason, code }
}

export function notFound(plural: string, name: string): Status {
  return status(404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural })
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}

/** Finds the route for a request: 404 when no path matches, 405 when only the method differs. */
export function dispatch(routes: readonly Route[], raw: IncomingMessage, response: ServerResponse) {
  const url = new URL(raw.url ?? '/', 'https://fake')
  let pathMatched = false
  for (const route of routes) {
    const match = route.path.exec(url.pathname)
    if (!match) continue
    pathMatched = true
    if (route.method !== raw.method) continue
    const params = decodeGroups(match.groups)
    if (params) route.handle({ url, params, raw }, response)
    else sendJson(response, 400, status(400, 'BadRequest', 'malformed percent-encoding in path'))
    return
  }
  if (pathMatched) {
    const message = 'the server does not allow this method on the requested resource'
    sendJson(response, 405, status(405, 'MethodNotAllowed', message))
  } else {
    const message = 'the server could not find the requested resource'
    sendJson(response, 404, status(404, 'NotFound', message))
  }
}

function decodeGroups(groups: Record<string, string> = {}): Record<string, string> | undefined {
  try {
    return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodeURIComponent(v)]))
  } catch {
    return undefined
  }
}
