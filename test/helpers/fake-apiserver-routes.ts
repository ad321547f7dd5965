// The read routes of one collection, with the JSON shapes of the Kubernetes API reference: list
// ({kind}List with metadata.resourceVersion and untyped items), watch (?watch, in
// fake-apiserver-watch.ts) and get (a typed object, or 404 NotFound).
import type { ServerResponse } from 'node:http'
import { selects } from './apiserver/label-selector.ts'
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
import { parseLabelSelector } from './fake-apiserver-selector.ts'
import { notFound, unimplemented } from './fake-apiserver-status.ts'
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
  // The real API server also lists and watches a namespaced resource across all namespaces.
  const everywhere: Route = {
    method: 'GET',
    prefix,
    scope: 'collection',
    path: new RegExp(`^${prefix}/${collection.plural}$`),
    handle: (_request, response) =>
      sendStatus(response, unimplemented(`${collection.plural} across all namespaces`)),
  }
  return [...routes, everywhere]
}

function list(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  const text = request.url.searchParams.get('labelSelector') ?? ''
  const selector = parseLabelSelector(text)
  if (!selector) {
    sendStatus(response, unimplemented(`the label selector "${text}"`))
    return
  }
  const all = collectionOf(api, request).list()
  const items = all.items.filter((item) => selects(selector, item.metadata.labels))
  const { resourceVersion } = all
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
  else sendStatus(response, notFound(resourceOf(api), name))
}

// Parameters the real API server honours and the fake would silently ignore: selectors (a list
// reads equality-based label selectors, a watch none), pages, and list resourceVersion semantics
// (the fake keeps no past states to answer "Exact" from).
const UNIMPLEMENTED = ['fieldSelector', 'limit', 'continue'] as const

function refuseUnimplemented(request: RouteRequest, response: ServerResponse): boolean {
  const params = request.url.searchParams
  const watching = queryBool(params.get('watch'))
  const used =
    UNIMPLEMENTED.find((name) => params.get(name)) ??
    (watching && params.get('labelSelector') ? 'labelSelector on a watch' : undefined)
  const listMatch = !watching && params.get('resourceVersionMatch')
  if (!used && !listMatch) return false
  sendStatus(response, unimplemented(used ?? 'resourceVersionMatch on a list'))
  return true
}
