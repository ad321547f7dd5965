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
  /** A handler that reads the request body returns a promise; a rejection answers 500. */
  handle(request: RouteRequest, response: ServerResponse): void | Promise<void>
}

/** One field's problem in a 422 Invalid Status (metav1.StatusCause). */
export interface StatusCause {
  reason: string
  message: string
  field?: string
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] }
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

/** The resource as the API server names it in messages: `secrets`, or `plural.group`. */
export interface Resource {
  plural: string
  /** '' for the core group. */
  group: string
}

const qualified = (r: Resource) => (r.group === '' ? r.plural : `${r.plural}.${r.group}`)
const detailsOf = (r: Resource, name: string) =>
  r.group === '' ? { name, kind: r.plural } : { name, group: r.group, kind: r.plural }

export function notFound(resource: Resource, name: string): Status {
  const message = `${qualified(resource)} "${name}" not found`
  return status(404, 'NotFound', message, detailsOf(resource, name))
}

export function alreadyExists(resource: Resource, name: string): Status {
  const message = `${qualified(resource)} "${name}" already exists`
  return status(409, 'AlreadyExists', message, detailsOf(resource, name))
}

/** A write with a resourceVersion that is no longer the stored one. */
export function conflict(resource: Resource, name: string): Status {
  const message = `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`
  return status(409, 'Conflict', message, detailsOf(resource, name))
}

/** A 422 from validation: `Secret "x" is invalid: data[tls.crt]: Required value`. */
export function invalid(kind: string, name: string, causes: StatusCause[]): Status {
  const each = causes.map((c) => `${c.field}: ${c.message}`)
  const list = each.length === 1 ? each[0] : `[${each.join(', ')}]`
  return status(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, { name, kind, causes })
}

export function badRequest(message: string): Status {
  return status(400, 'BadRequest', message)
}

// Request bodies of the fake's clients are small; this only stops a runaway test.
const BODY_LIMIT = 3 * 1024 * 1024

/** The request body parsed as JSON, or undefined (after a 400 answer) when it is not JSON. */
export async function readJson(
  raw: IncomingMessage,
  response: ServerResponse,
): Promise<unknown | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of raw) {
    size += (chunk as Buffer).length
    if (size > BODY_LIMIT) throw new Error('request body over the fake API server limit')
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (error) {
    sendJson(response, 400, badRequest(`json parse error: ${(error as Error).message}`))
    return undefined
  }
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
    if (params) handleSafely(route, { url, params, raw }, response)
    else sendJson(response, 400, badRequest('malformed percent-encoding in path'))
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

function handleSafely(route: Route, request: RouteRequest, response: ServerResponse): void {
  const failed = (error: unknown) => {
    const message = `Internal error occurred: ${(error as Error).message}`
    if (!response.headersSent) sendJson(response, 500, status(500, 'InternalError', message))
  }
  try {
    route.handle(request, response)?.catch(failed)
  } catch (error) {
    failed(error)
  }
}

function decodeGroups(groups: Record<string, string> = {}): Record<string, string> | undefined {
  try {
    return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodeURIComponent(v)]))
  } catch {
    return undefined
  }
}
