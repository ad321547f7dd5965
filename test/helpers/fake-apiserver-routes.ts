// REST routes for one collection, with the JSON shapes of the Kubernetes API reference: list,
// watch (?watch=true) and get. A namespaced resource has the same three routes under
// /namespaces/{namespace}; listing it across all namespaces is not implemented.
import type { ServerResponse } from 'node:http'
import {
  notFound,
  type Resource,
  type Route,
  type RouteRequest,
  sendJson,
  status,
} from './fake-apiserver-http.ts'
import {
  type Change,
  Collection,
  type NamespacedCollection,
  type StoredObject,
} from './fake-apiserver-store.ts'

export interface CollectionApi {
  collection: Collection | NamespacedCollection
  /** '/api/v1' for the core group, '/apis/{group}/{version}' for the others. */
  prefix: string
  apiVersion: string
  /** Open watch streams, so the server can close them on demand. */
  watches: Set<ServerResponse>
}

/** The collection's path as a pattern, with a `namespace` group for a namespaced resource. */
export function basePath(api: CollectionApi): string {
  const scope = api.collection instanceof Collection ? '' : '/namespaces/(?<namespace>[^/]+)'
  return `${api.prefix}${scope}/${api.collection.plural}`
}

/** The objects a request addresses: the resource's, or those of the namespace in its path. */
export function collectionOf(api: CollectionApi, request: RouteRequest): Collection {
  const { collection } = api
  return collection instanceof Collection
    ? collection
    : collection.in(request.params.namespace ?? '')
}

/** The resource as Status messages name it. */
export function resourceOf(api: CollectionApi): Resource {
  const [, apis, group] = api.prefix.split('/')
  return { plural: api.collection.plural, group: apis === 'apis' ? (group ?? '') : '' }
}

/** A lone object carries its kind and apiVersion; items inside a list do not. */
export function typed(api: CollectionApi, object: StoredObject) {
  return { kind: api.collection.kind, apiVersion: api.apiVersion, ...object }
}

/** The list, watch and get routes of `api.collection`. */
export function collectionRoutes(api: CollectionApi): Route[] {
  const base = basePath(api)
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

function list(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  if (refuseSelectors(request, response)) return
  const { items, resourceVersion } = collectionOf(api, request).list()
  sendJson(response, 200, {
    kind: `${api.collection.kind}List`,
    apiVersion: api.apiVersion,
    metadata: { resourceVersion },
    items,
  })
}

function get(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  const name = request.params.name ?? ''
  const object = collectionOf(api, request).get(name)
  if (object) sendJson(response, 200, typed(api, object))
  else sendJson(response, 404, notFound(resourceOf(api), name))
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
  const collection = collectionOf(api, request)
  const backlog = from === undefined ? initialEvents(collection) : collection.changesSince(from)
  if (backlog === 'expired') {
    // The watch cache answers an expired resourceVersion in-stream, then closes the stream.
    const message = `too old resource version: ${from} (${collection.compactedAt})`
    send('ERROR', status(410, 'Expired', message))
    response.end()
    return
  }
  const emit = (change: Change) => send(change.type, typed(api, change.object))
  for (const change of backlog) emit(change)
  stream(api, request, response, emit)
}

/** Without a resourceVersion a watch starts with a synthetic ADDED for every existing object. */
function initialEvents(collection: Collection): Change[] {
  return collection.list().items.map((object) => ({
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
  const unsubscribe = collectionOf(api, request).subscribe(emit)
  api.watches.add(response)
  const seconds = Number(request.url.searchParams.get('timeoutSeconds') ?? 0)
  const timer = seconds > 0 ? setTimeout(() => response.end(), seconds * 1000) : undefined
  response.once('close', () => {
    unsubscribe()
    clearTimeout(timer)
    api.watches.delete(response)
  })
}
