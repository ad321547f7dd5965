// The read routes of one collection, with the JSON shapes of the Kubernetes API reference: list
// ({kind}List with metadata.resourceVersion and untyped items; a namespaced resource also across
// all namespaces; labelSelector, limit and continue), watch (?watch, in fake-apiserver-watch.ts)
// and get (a typed object, or 404 NotFound).
import type { ServerResponse } from 'node:http'
import {
  basePath,
  type CollectionApi,
  collectionOf,
  isNamespaced,
  resourceOf,
  typed,
} from './fake-apiserver-api.ts'
import {
  queryBool,
  type Route,
  type RouteRequest,
  sendJson,
  sendStatus,
} from './fake-apiserver-http.ts'
import { parseSelector, selectorMatches } from './fake-apiserver-selectors.ts'
import { badRequest, notFound, status, unimplemented } from './fake-apiserver-status.ts'
import type { StoredObject } from './fake-apiserver-store.ts'
import { watch } from './fake-apiserver-watch.ts'

/** The list, watch and get routes of `api.collection`. */
export function collectionRoutes(api: CollectionApi): Route[] {
  const base = basePath(api)
  const { prefix, collection } = api
  const routes: Route[] = [
    {
      method: 'GET',
      prefix,
      scope: 'collection',
      path: new RegExp(`^${base}$`),
      handle: (request, response) => {
        if (refuseUnimplemented(request, response)) return
        // listOpts (k8s.io/apiserver pkg/endpoints/handlers/get.go) reads ?watch as a bool.
        if (queryBool(request.url.searchParams.get('watch'))) watch(api, request, response)
        else list(api, request, response)
      },
    },
    {
      method: 'GET',
      prefix,
      scope: 'item',
      path: new RegExp(`^${base}/(?<name>[^/]+)$`),
      handle: (request, response) => get(api, request, response),
    },
  ]
  if (!isNamespaced(api)) return routes
  // The real API server also lists and watches a namespaced resource across all namespaces; the
  // fake lists.
  const everywhere: Route = {
    method: 'GET',
    prefix,
    scope: 'collection',
    path: new RegExp(`^${prefix}/${collection.plural}$`),
    handle: (request, response) => {
      if (refuseUnimplemented(request, response)) return
      if (queryBool(request.url.searchParams.get('watch')))
        sendStatus(response, unimplemented(`watching ${collection.plural} across all namespaces`))
      else list(api, request, response)
    },
  }
  return [...routes, everywhere]
}

interface Continue {
  /** The resourceVersion of the first page. */
  rv: number
  /** The key of the last object sent: namespace/name. */
  after: string
}

const keyOf = (object: StoredObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`

const TOO_OLD =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'

// A list: the objects the labelSelector selects, in key order, `limit` at a time, the rest behind
// a continue token (k8s.io/apiserver pkg/storage/etcd3/store.go GetList: limit counts the objects
// that match; metadata.continue and remainingItemCount when more remain). Unlike the real server,
// a continued list shows the objects as they are now rather than at its first page's revision.
function list(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  const answer = listAnswer(api, request)
  if ('code' in answer) sendStatus(response, answer)
  else sendJson(response, 200, answer)
}

function listAnswer(api: CollectionApi, request: RouteRequest) {
  const params = request.url.searchParams
  const selector = parseSelector(params.get('labelSelector') ?? '')
  if (!selector.ok) return badRequest(selector.error)
  const token = readContinue(params.get('continue'))
  if (token === 'invalid') return badRequest('continue key is not valid')
  if (token && token.rv < api.collection.compactedAt) return status(410, 'Expired', TOO_OLD)
  const all = objectsOf(api, request)
  const selected = all.items.filter(
    (o) =>
      selectorMatches(selector.requirements, o.metadata.labels) &&
      (!token || keyOf(o) > token.after),
  )
  const limit = Number(params.get('limit') ?? 0)
  const page = limit > 0 ? selected.slice(0, limit) : selected
  const remainingItemCount = selected.length - page.length
  const resourceVersion = token ? String(token.rv) : all.resourceVersion
  const last = page.at(-1)
  const next =
    remainingItemCount > 0 && last ? { rv: Number(resourceVersion), after: keyOf(last) } : undefined
  const more = next && { continue: encodeContinue(next), remainingItemCount }
  return {
    kind: `${api.collection.kind}List`,
    apiVersion: api.apiVersion,
    metadata: { resourceVersion, ...more },
    items: page,
  }
}

// The objects of the request's namespace, or of every namespace on the path without one.
function objectsOf(api: CollectionApi, request: RouteRequest) {
  const { collection } = api
  if ('listAll' in collection && request.params.namespace === undefined) return collection.listAll()
  return collectionOf(api, request).list()
}

const encodeContinue = (token: Continue) => Buffer.from(JSON.stringify(token)).toString('base64url')

function readContinue(value: string | null): Continue | undefined | 'invalid' {
  if (!value) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Continue
    return typeof parsed.rv === 'number' && typeof parsed.after === 'string' ? parsed : 'invalid'
  } catch {
    return 'invalid'
  }
}

function get(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  const name = request.params.name ?? ''
  const object = collectionOf(api, request).get(name)
  if (object) sendJson(response, 200, typed(api, object))
  else sendStatus(response, notFound(resourceOf(api), name))
}

// Parameters the real API server honours and the fake would silently ignore: a fieldSelector,
// selectors and pages on a watch, and list resourceVersion semantics (the fake keeps no past
// states to answer "Exact" from).
function refuseUnimplemented(request: RouteRequest, response: ServerResponse): boolean {
  const params = request.url.searchParams
  const watching = queryBool(params.get('watch'))
  const unsupported = watching
    ? ['fieldSelector', 'labelSelector', 'limit', 'continue']
    : ['fieldSelector']
  const used = unsupported.find((name) => params.get(name))
  const listMatch = !watching && params.get('resourceVersionMatch')
  if (!used && !listMatch) return false
  sendStatus(response, unimplemented(used ?? 'resourceVersionMatch on a list'))
  return true
}
