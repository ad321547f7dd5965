// One resource as the fake serves it: where it lives in the REST API, how its objects are typed
// on the wire, and the helpers every route of it shares.
import type { ServerResponse } from 'node:http'
import type { RouteRequest } from './fake-apiserver-http.ts'
import type { Resource } from './fake-apiserver-status.ts'
import { Collection, type NamespacedCollection, type StoredObject } from './fake-apiserver-store.ts'

/** An open watch stream, so the server can end it or send it a bookmark on demand. */
export interface OpenWatch {
  response: ServerResponse
  /** Sends a BOOKMARK at the current resourceVersion if the client asked for bookmarks and the
   *  watch started before it; true if one was sent. */
  bookmark(): boolean
}

export interface CollectionApi {
  collection: Collection | NamespacedCollection
  /** '/api/v1' for the core group, '/apis/{group}/{version}' for the others. */
  prefix: string
  apiVersion: string
  /** Open watch streams of every resource. */
  watches: Set<OpenWatch>
  /** The fields Go writes for an empty object of the kind besides metadata (a Namespace's
   *  spec: {} and status: {}, structs that omitempty cannot leave out): a bookmark's body. */
  empty?: Readonly<Record<string, unknown>>
}

/** The collection's path as a pattern, with a `namespace` group for a namespaced resource. */
export function basePath(api: CollectionApi): string {
  const scope = api.collection instanceof Collection ? '' : '/namespaces/(?<namespace>[^/]+)'
  return `${api.prefix}${scope}/${api.collection.plural}`
}

export const isNamespaced = (api: CollectionApi) => !(api.collection instanceof Collection)

/** The objects a request addresses: the resource's, or those of the namespace in its path. */
export function collectionOf(api: CollectionApi, request: RouteRequest): Collection {
  const { collection } = api
  return collection instanceof Collection
    ? collection
    : collection.in(request.params.namespace ?? '')
}

/** The resource as Status messages name it. */
export function resourceOf(api: CollectionApi): Resource {
  return { plural: api.collection.plural, group: groupOf(api) }
}

/** The API group: '' for the core group. */
export function groupOf(api: CollectionApi): string {
  const [, apis, group] = api.prefix.split('/')
  return apis === 'apis' ? (group ?? '') : ''
}

/** A lone object carries its kind and apiVersion; items inside a list do not. */
export function typed(api: CollectionApi, object: StoredObject) {
  return { kind: api.collection.kind, apiVersion: api.apiVersion, ...object }
}
