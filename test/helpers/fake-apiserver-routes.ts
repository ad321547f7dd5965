// REST routes for one cluster-scoped collection, with the JSON shapes of the Kubernetes API
// reference: list, watch (?watch=true) and get. Namespaced resources would add a
// /namespaces/{namespace} segment to the same three routes.
import type { ServerResponse } from 'node:http'
import { notFound, type Route, type RouteRequest, sendJson, status } from './fake-apiserver-http.ts'
import type { Change, Collection, StoredObject } from './fake-apiserver-store.ts'

export interface CollectionApi {
  collection: Collection
  /** '/api/v1' for the core group, '/apis/{group}/{version}' for the others. */
  prefix: string
  apiVersion: string
  /** Open watch streams, so the server can close them on demand. */
  watches: Set<ServerResponse>
}

/** The list, watch and get routes of `api.collection`. */
export function collectionRoutes(api: CollectionApi): Route[] {
  const base = `${api.prefix}/${api.collection.plural}`
  return [
    {
      method: 'GET',
      path: new RegExp(`^${base}$`),
      handle: (request, response) =>
        isWatch(request.url) ? watch(api, request, response) : list(api, request, response),
    },
    {
      method: 'GET',
      path: new RegExp(`^${base}/(?<name>[^/]+)$`),
      handle: (request, response) => get(api, request, response),
    },
  ]
}

// The API server parses `watch` with Go's strconv.ParseBool.
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True'])
const isWatch = (url: URL) => TRUE.has(url.searchParams.get('watch') ?? '')

/** A lone object carries its kind and apiVersion; items inside a list do not. */
function typed(api: CollectionApi, object: StoredObject) {
  return { kind: api.collection.kind, apiVersion: api.apiVersion, ...object }
}

function list(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  if (refuseSelectors(request, response)) return
  const { items, resourceVersion } = api.collection.list()
  sendJson(response, 200, {
    kind: `${api.collection.kind}List`,
    apiVersion: api.apiVersion,
    metadata: { resourceVersion },
    items,
  })
}

function get(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  const name = request.params.name ?? ''
  const object = api.collection.get(name)
  if (object) sendJson(response, 200, typed(api, object))
  else sendJson(response, 404, notFound(api.collection.plural, name))
}

// Selectors are not implemented; saying so beats silently answering with every object.
function refuseSelectors(request: RouteRequest, response: ServerResponse): boolean {
  const { searchParams } = request.url
  if (!searchParams.get('labelSelector') && !searchParams.get('fieldSelector')) return false
  sendJson(response, 400, status(400, 'BadRequest', 'the fake API server supports no selectors'))
  return true
}

function watch(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  if (refuseSelectors(request, response)) return
  const requested = request.url.searchParams.get('resourceVersion') ?? ''
  const from = requested === '' || requested === '0' ? undefined : Number(requested)
  if (from !== undefined && !Number.isSafeInteger(from)) {
    const message = `invalid resource version "${requested}"`
    sendJson(response, 400, status(400, 'BadRequest', message))
    return
  }
  // Headers go out at once: clients wait for them before they count the watch as established.
  response.writeHead(200, { 'Content-Type': 'application/json' })
  response.flushHeaders()
  // A stream ended by dropWatches() or timeoutSeconds stays subscribed until its 'close' event.
  const send = (type: string, object: unknown) => {
    if (!response.writableEnded) response.write(`${JSON.stringify({ type, object })}\n`)
  }
  const backlog = from === undefined ? initialEvents(api) : api.collection.changesSince(from)
  if (backlog === 'expired') {
    // The watch cache answers an expired resourceVersion in-stream, then closes the stream.
    const message = `too old resource version: ${from} (${api.collection.compactedAt})`
    send('ERROR', status(410, 'Expired', message))
    response.end()
    return
  }
  const emit = (change: Change) => send(change.type, typed(api, change.object))
  for (const change of backlog) emit(change)
  stream(api, request, response, emit)
}

/** Without a resourceVersion a watch starts with a synthetic ADDED for every existing object. */
function initialEvents(api: CollectionApi): Change[] {
  return api.collection.list().items.map((object) => ({
    type: 'ADDED',
    object,
    resourceVersion: Number(object.metadata.resourceVersion),
  }))
}

function stream(
  api: CollectionApi,
  request: RouteRequest,
  response: ServerResponse,
  emit: (change: Change) => void,
): void {
  const unsubscribe = api.collection.subscribe(emit)
  api.watches.add(response)
  const seconds = Number(request.url.searchParams.get('timeoutSeconds') ?? 0)
  const timer = seconds > 0 ? setTimeout(() => response.end(), seconds * 1000) : undefined
  response.once('close', () => {
    unsubscribe()
    clearTimeout(timer)
    api.watches.delete(response)
  })
}
