// Write routes for one collection, answered as the API server answers them: POST creates (409
// AlreadyExists for a name that is taken), PUT replaces (409 Conflict for a stale
// metadata.resourceVersion, 404 for a missing object, as no built-in resource creates on update),
// PATCH applies a JSON patch (RFC 6902) or a JSON merge patch (RFC 7386) to the stored object and
// answers 415 for any other content type. Rules of one kind add its defaults and validation.
import type { ServerResponse } from 'node:http'
import { applyPatch } from 'rfc6902'
import {
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  type Route,
  type RouteRequest,
  readJson,
  type Status,
  sendJson,
  status,
} from './fake-apiserver-http.ts'
import {
  basePath,
  type CollectionApi,
  collectionOf,
  resourceOf,
  typed,
} from './fake-apiserver-routes.ts'
import type { ObjectInput, StoredObject } from './fake-apiserver-store.ts'

/** A written object as JSON. */
export type Body = Record<string, unknown> & { metadata?: Record<string, unknown> }

export type WriteVerb = 'create' | 'update' | 'patch'

/** What one kind adds to every write: the API server's defaults, then its validation. */
export interface KindRules {
  prepare?(object: Body): Body
  /** A 400 or 422 Status when `object` cannot be stored over `old` (undefined on create). */
  check?(object: Body, old: StoredObject | undefined): Status | undefined
}

export interface WriteApi extends CollectionApi {
  verbs: readonly WriteVerb[]
  rules?: KindRules
}

// The API server also takes strategic merge and apply patches for built-in kinds; the fake
// implements these two and answers the others as the API server answers an unknown type.
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'] as const

/** The routes of `api.verbs`. */
export function writeRoutes(api: WriteApi): Route[] {
  const base = basePath(api)
  const item = new RegExp(`^${base}/(?<name>[^/]+)$`)
  const routes: Record<WriteVerb, Route> = {
    create: { method: 'POST', path: new RegExp(`^${base}$`), handle: (q, r) => create(api, q, r) },
    update: { method: 'PUT', path: item, handle: (q, r) => update(api, q, r) },
    patch: { method: 'PATCH', path: item, handle: (q, r) => patch(api, q, r) },
  }
  return api.verbs.map((verb) => routes[verb])
}

/** An answer: its status code and body. */
interface Reply {
  code: number
  body: unknown
}

const refuse = (failure: Status): Reply => ({ code: failure.code, body: failure })

async function create(api: WriteApi, request: RouteRequest, response: ServerResponse) {
  const body = await readObject(request, response)
  if (body) send(response, created(api, request, body))
}

async function update(api: WriteApi, request: RouteRequest, response: ServerResponse) {
  const body = await readObject(request, response)
  if (body) send(response, updated(api, request, body))
}

async function patch(api: WriteApi, request: RouteRequest, response: ServerResponse) {
  const type = (request.raw.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
  if (!(PATCH_TYPES as readonly string[]).includes(type)) {
    const message = `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`
    return send(response, refuse(status(415, 'UnsupportedMediaType', message)))
  }
  const body = await readJson(request.raw, response)
  if (body !== undefined) send(response, patched(api, request, { type, body }))
}

function created(api: WriteApi, request: RouteRequest, body: Body): Reply {
  const name = body.metadata?.name
  if (typeof name !== 'string' || name === '') {
    const cause = {
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value',
    }
    return refuse(invalid(api.collection.kind, '', [cause]))
  }
  const refused = wrongNamespace(body, request)
  if (refused) return refuse(refused)
  const collection = collectionOf(api, request)
  if (collection.get(name)) return refuse(alreadyExists(resourceOf(api), name))
  return write(api, { body, old: undefined, code: 201 }, (input) => collection.create(name, input))
}

function updated(api: WriteApi, request: RouteRequest, body: Body): Reply {
  const name = request.params.name ?? ''
  const refused = wrongName(body, name) ?? wrongNamespace(body, request)
  if (refused) return refuse(refused)
  const collection = collectionOf(api, request)
  const old = collection.get(name)
  if (!old) return refuse(notFound(resourceOf(api), name))
  const resourceVersion = body.metadata?.resourceVersion
  // Without a resourceVersion the update is unconditional, as the API server allows for Secrets.
  if (resourceVersion !== undefined && resourceVersion !== old.metadata.resourceVersion) {
    return refuse(conflict(resourceOf(api), name))
  }
  return write(api, { body, old, code: 200 }, (input) => collection.replace(name, input))
}

function patched(
  api: WriteApi,
  request: RouteRequest,
  patch: { type: string; body: unknown },
): Reply {
  const name = request.params.name ?? ''
  const collection = collectionOf(api, request)
  const old = collection.get(name)
  if (!old) return refuse(notFound(resourceOf(api), name))
  const result = applyTo(typed(api, old), patch.type, patch.body)
  if (!result.ok) return refuse(result.status)
  const body = result.object
  const refused = wrongName(body, name) ?? wrongNamespace(body, request)
  if (refused) return refuse(refused)
  // A resourceVersion that the patch sets is a precondition, as in a PUT.
  if (body.metadata?.resourceVersion !== old.metadata.resourceVersion) {
    return refuse(conflict(resourceOf(api), name))
  }
  return write(api, { body, old, code: 200 }, (input) => collection.replace(name, input))
}

/** Applies the kind's rules, then stores and answers the stored object. */
function write(
  api: WriteApi,
  change: { body: Body; old: StoredObject | undefined; code: number },
  store: (input: ObjectInput) => StoredObject,
): Reply {
  const prepared = api.rules?.prepare?.(change.body) ?? change.body
  const refused = api.rules?.check?.(prepared, change.old)
  if (refused) return refuse(refused)
  const { kind: _kind, apiVersion: _apiVersion, metadata = {}, ...rest } = prepared
  const meta = metadata as { labels?: Record<string, string>; annotations?: Record<string, string> }
  const stored = store({
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
    body: rest,
  })
  return { code: change.code, body: typed(api, stored) }
}

type Applied = { ok: true; object: Body } | { ok: false; status: Status }

function applyTo(object: object, type: string, body: unknown): Applied {
  const copy = structuredClone(object) as Body
  if (type === 'application/merge-patch+json') {
    return { ok: true, object: mergePatch(copy, body) as Body }
  }
  if (!Array.isArray(body)) {
    return { ok: false, status: badRequest('json: cannot unmarshal object into a JSON patch') }
  }
  const failed = applyPatch(copy, body).find((error) => error !== null)
  if (!failed) return { ok: true, object: copy }
  // apiserver's jsonPatcher answers a failed operation (a `test`, a missing path) with a 422.
  const message = 'the server rejected our request due to an error in our request'
  const causes = [{ reason: 'UnexpectedServerResponse', message: failed.message }]
  return { ok: false, status: status(422, 'Invalid', message, { causes }) }
}

/** RFC 7386: objects merge key by key, null removes, anything else (arrays too) replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = mergePatch(result[key], value)
  }
  return result
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

async function readObject(request: RouteRequest, response: ServerResponse) {
  const body = await readJson(request.raw, response)
  if (body === undefined) return undefined
  if (isObject(body)) return body as Body
  sendJson(response, 400, badRequest('the body of the request is not a JSON object'))
  return undefined
}

function wrongName(body: Body, name: string): Status | undefined {
  const given = body.metadata?.name
  if (given === name) return undefined
  return badRequest(
    `the name of the object (${String(given)}) does not match the name on the URL (${name})`,
  )
}

function wrongNamespace(body: Body, request: RouteRequest): Status | undefined {
  const given = body.metadata?.namespace
  if (given === undefined || given === request.params.namespace) return undefined
  return badRequest(
    'the namespace of the provided object does not match the namespace sent on the request',
  )
}

const send = (response: ServerResponse, reply: Reply) => sendJson(response, reply.code, reply.body)
