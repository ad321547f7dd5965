// The fake API server's HTTP plumbing: a route table dispatched as go-restful dispatches the real
// one, query parameters read as the API server reads them, and JSON bodies in and out.
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  badRequest,
  generic,
  internalError,
  type Status,
  unimplemented,
} from './fake-apiserver-status.ts'

export interface RouteRequest {
  url: URL
  /** Named groups of the route's path pattern, URL-decoded. */
  params: Readonly<Record<string, string>>
  raw: IncomingMessage
}

/** One REST endpoint; more resources are more rows in the table. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** '/api/v1' or '/apis/{group}/{version}': the go-restful web service the route belongs to. */
  prefix: string
  /** A collection (/secrets) or one object in it (/secrets/{name}). */
  scope: 'collection' | 'item'
  path: RegExp
  /** A handler that reads the request body returns a promise; a rejection answers 500. */
  handle(request: RouteRequest, response: ServerResponse): void | Promise<void>
}

// The methods the real API server routes for a resource's paths (k8s.io/apiserver
// pkg/endpoints/installer.go registerResourceHandlers): list, watch, create and deletecollection
// on the collection; get, update, patch and delete on an object.
const REAL_METHODS: Readonly<Record<Route['scope'], readonly string[]>> = {
  collection: ['GET', 'POST', 'DELETE'],
  item: ['GET', 'PUT', 'PATCH', 'DELETE'],
}

/**
 * Finds the route for a request. Without one, the answer is the real API server's: go-restful's
 * 405 for a method the path never takes, its 404 for an unknown path under a web service, and Go's
 * plain-text 404 outside them (k8s.io/apiserver pkg/util/notfoundhandler, then http.NotFound). A
 * method the real server takes on that path but the fake does not implement is a 501.
 */
export function dispatch(routes: readonly Route[], raw: IncomingMessage, response: ServerResponse) {
  const url = new URL(raw.url ?? '/', 'https://fake')
  const onPath = routes.filter((route) => route.path.test(url.pathname))
  const route = onPath.find((candidate) => candidate.method === raw.method)
  if (route) {
    const params = decodeGroups(route.path.exec(url.pathname)?.groups)
    if (params) handleSafely(route, { url, params, raw }, response)
    else sendStatus(response, badRequest('malformed percent-encoding in path'))
  } else if (onPath[0]) {
    const method = raw.method ?? ''
    if (REAL_METHODS[onPath[0].scope].includes(method)) {
      sendStatus(response, unimplemented(`${method} ${url.pathname}`))
    } else {
      sendStatus(response, generic(405))
    }
  } else if (
    routes.some((r) => url.pathname === r.prefix || url.pathname.startsWith(`${r.prefix}/`))
  ) {
    sendStatus(response, generic(404))
  } else {
    response.writeHead(404, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    })
    response.end('404 page not found\n')
  }
}

// A boolean query parameter as k8s.io/apimachinery pkg/runtime/conversion.go
// Convert_Slice_string_To_bool reads it: absent, "0" or any case of "false" is false, anything
// else (even an empty value, `?watch`) is true. Not strconv.ParseBool.
export function queryBool(value: string | null | undefined): boolean {
  return value != null && value !== '0' && value.toLowerCase() !== 'false'
}

/** Convert_Slice_string_To_Pointer_bool: undefined when the parameter is absent. */
export function queryOptionalBool(params: URLSearchParams, name: string): boolean | undefined {
  return params.has(name) ? queryBool(params.get(name)) : undefined
}

// The API server's limit is 3 MiB as well (MaxRequestBodyBytes); here it only stops a runaway test.
const BODY_LIMIT = 3 * 1024 * 1024

export type ParsedBody = { ok: true; value: unknown } | { ok: false; error: string }

/** The request body parsed as JSON; what to answer when it is not JSON is the caller's. */
export async function readJson(raw: IncomingMessage): Promise<ParsedBody> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of raw) {
    size += (chunk as Buffer).length
    if (size > BODY_LIMIT) throw new Error('request body over the fake API server limit')
    chunks.push(chunk as Buffer)
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) }
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}

/** The media type of a Content-Type header, without parameters (`; charset=utf-8`). */
export function mediaType(raw: IncomingMessage): string {
  return (raw.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}

export const sendStatus = (response: ServerResponse, failure: Status) =>
  sendJson(response, failure.code, failure)

function handleSafely(route: Route, request: RouteRequest, response: ServerResponse): void {
  const failed = (error: unknown) => {
    if (!response.headersSent) sendStatus(response, internalError((error as Error).message))
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
