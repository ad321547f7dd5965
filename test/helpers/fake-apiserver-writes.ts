// Write routes for one collection, in the order the API server checks a write (k8s.io/apiserver
// pkg/endpoints/handlers create.go, update.go, patch.go; pkg/registry/generic/registry/store.go):
// the Content-Type, the body's decoding, its namespace and name against the URL, then
// - POST: validation (422 Invalid), then a taken name (409 AlreadyExists), 201;
// - PUT: a missing object (404, as no built-in kind creates on update), a stale
//   metadata.resourceVersion (409 Conflict), then validation, 200;
// - PATCH: a missing object, the patch, the patched object's decoding, its resourceVersion, then
//   validation, 200.
import type { ServerResponse } from 'node:http'
import {
  basePath,
  type CollectionApi,
  collectionOf,
  groupOf,
  resourceOf,
  typed,
} from './fake-apiserver-api.ts'
import {
  type Body,
  inNamespace,
  type KindRules,
  nameProblems,
  notAnObject,
  wrongName,
} from './fake-apiserver-checks.ts'
import {
  mediaType,
  type Route,
  type RouteRequest,
  readJson,
  sendJson,
  sendStatus,
} from './fake-apiserver-http.ts'
import {
  applyTo,
  isObject,
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_MERGE_PATCH,
  UNIMPLEMENTED_PATCH_TYPES,
} from './fake-apiserver-patch.ts'
import {
  alreadyExists,
  badRequest,
  cause,
  conflict,
  generic,
  invalid,
  notFound,
  type Status,
  status,
  unimplemented,
} from './fake-apiserver-status.ts'
import type { ObjectInput, StoredObject } from './fake-apiserver-store.ts'

export type WriteVerb = 'create' | 'update' | 'patch'

export interface WriteApi extends CollectionApi {
  verbs: readonly WriteVerb[]
  rules: KindRules
}

/** The routes of `api.verbs`. */
export function writeRoutes(api: WriteApi): Route[] {
  const base = basePath(api)
  const item = new RegExp(`^${base}/(?<name>[^/]+)$`)
  const { prefix } = api
  const routes: Record<WriteVerb, Route> = {
    create: {
      method: 'POST',
      prefix,
      scope: 'collection',
      path: new RegExp(`^${base}$`),
      handle: (q, r) => write(api, q, r, created),
    },
    update: {
      method: 'PUT',
      prefix,
      scope: 'item',
      path: item,
      handle: (q, r) => write(api, q, r, updated),
    },
    patch: {
      method: 'PATCH',
      prefix,
      scope: 'item',
      path: item,
      handle: (q, r) => patch(api, q, r),
    },
  }
  return api.verbs.map((verb) => routes[verb])
}

/** An answer: its status code and body. */
interface Reply {
  code: number
  body: unknown
}

const refuse = (failure: Status): Reply => ({ code: failure.code, body: failure })
const send = (response: ServerResponse, reply: Reply) => sendJson(response, reply.code, reply.body)

// NegotiateInputSerializer (pkg/endpoints/handlers/negotiation/negotiate.go): no Content-Type is
// JSON; the serializers of built-in kinds take JSON, YAML and protobuf, anything else is a 415.
const DECODABLE = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']

type Handler = (api: WriteApi, request: RouteRequest, body: Body) => Reply

/** POST and PUT: a whole object in the body. */
async function write(
  api: WriteApi,
  request: RouteRequest,
  response: ServerResponse,
  then: Handler,
) {
  const type = mediaType(request.raw).toLowerCase() || 'application/json'
  if (type !== 'application/json') {
    const message = `the body of the request was in an unknown format - accepted media types include: ${DECODABLE.join(', ')}`
    const refused = DECODABLE.includes(type)
      ? unimplemented(`${type} request bodies`)
      : status(415, 'UnsupportedMediaType', message)
    return sendStatus(response, refused)
  }
  const parsed = await readJson(request.raw)
  const { kind } = api.collection
  if (!parsed.ok || !isObject(parsed.value)) {
    // transformDecodeError (pkg/endpoints/handlers/rest.go) of what the serializer's Interpret
    // says; for a body that is not JSON at all, JSON.parse's words stand in for Go's.
    const why = parsed.ok ? notAnObject(parsed.value) : `json parse error: ${parsed.error}`
    const message = `the object provided is unrecognized (must be of type ${kind}): ${why}`
    return sendStatus(response, badRequest(message))
  }
  const body = parsed.value as Body
  const undecodable = api.rules.decode?.(body)
  if (undecodable) {
    const version = api.apiVersion.split('/').at(-1)
    const message = `${kind} in version "${version}" cannot be handled as a ${kind}: ${undecodable}`
    return sendStatus(response, badRequest(message))
  }
  const placed = inNamespace(api, body, request)
  send(response, placed.ok ? then(api, request, placed.body) : refuse(placed.status))
}

function created(api: WriteApi, request: RouteRequest, body: Body): Reply {
  const name = typeof body.metadata?.name === 'string' ? body.metadata.name : ''
  const prepared = api.rules.prepare?.(body) ?? body
  const causes = [...nameProblems(name), ...(api.rules.check?.(prepared, undefined) ?? [])]
  if (causes.length > 0) return refuse(invalid(kindOf(api), name, causes))
  const collection = collectionOf(api, request)
  if (collection.get(name)) return refuse(alreadyExists(resourceOf(api), name))
  return store(api, prepared, 201, (input) => collection.create(name, input))
}

function updated(api: WriteApi, request: RouteRequest, body: Body): Reply {
  const name = request.params.name ?? ''
  const refused = wrongName(body, name)
  if (refused) return refuse(refused)
  const collection = collectionOf(api, request)
  const old = collection.get(name)
  if (!old) return refuse(notFound(resourceOf(api), name))
  return replaced(api, { name, body, old }, (input) => collection.replace(name, input))
}

async function patch(api: WriteApi, request: RouteRequest, response: ServerResponse) {
  // go-restful refuses a Content-Type the route does not consume before the handler runs.
  const type = mediaType(request.raw)
  if ((UNIMPLEMENTED_PATCH_TYPES as readonly string[]).includes(type)) {
    return sendStatus(response, unimplemented(`${type} patches`))
  }
  if (![JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH].includes(type))
    return sendStatus(response, generic(415))
  const parsed = await readJson(request.raw)
  // validateAndTranscodePatch.
  if (!parsed.ok) return sendStatus(response, badRequest('invalid JSON patch'))
  send(response, patched(api, request, { type, body: parsed.value }))
}

function patched(
  api: WriteApi,
  request: RouteRequest,
  change: { type: string; body: unknown },
): Reply {
  const name = request.params.name ?? ''
  const collection = collectionOf(api, request)
  const old = collection.get(name)
  if (!old) return refuse(notFound(resourceOf(api), name))
  const result = applyTo(typed(api, old), change.type, change.body)
  if (!result.ok) return refuse(result.status)
  const undecodable = isObject(result.object)
    ? api.rules.decode?.(result.object as Body)
    : notAnObject(result.object)
  if (undecodable) {
    // jsonPatcher.applyPatchToCurrentObject: an Invalid error of no kind and no name.
    const json = JSON.stringify(result.object)
    const message = `Invalid value: ${JSON.stringify(json)}: ${undecodable}`
    return refuse(
      invalid({ kind: '', group: '' }, '', [cause('FieldValueInvalid', 'patch', message)]),
    )
  }
  const placed = inNamespace(api, result.object as Body, request)
  if (!placed.ok) return refuse(placed.status)
  const refused = wrongName(placed.body, name)
  if (refused) return refuse(refused)
  return replaced(api, { name, body: placed.body, old }, (input) => collection.replace(name, input))
}

/** Store.Update from its resourceVersion check on. */
function replaced(
  api: WriteApi,
  change: { name: string; body: Body; old: StoredObject },
  replace: (input: ObjectInput) => StoredObject,
): Reply {
  const { name, body, old } = change
  const resourceVersion = body.metadata?.resourceVersion
  if (resourceVersion === undefined || resourceVersion === '') {
    if (!api.rules.unconditionalUpdate) {
      // Store.Update names the resource where the kind belongs, as its TODO admits.
      const kind = { kind: api.collection.plural, group: groupOf(api) }
      const problem = 'Invalid value: 0: must be specified for an update'
      return refuse(
        invalid(kind, name, [cause('FieldValueInvalid', 'metadata.resourceVersion', problem)]),
      )
    }
  } else if (resourceVersion !== old.metadata.resourceVersion) {
    return refuse(conflict(resourceOf(api), name))
  }
  const prepared = api.rules.prepare?.(body) ?? body
  const causes = api.rules.check?.(prepared, old) ?? []
  if (causes.length > 0) return refuse(invalid(kindOf(api), name, causes))
  return store(api, prepared, 200, replace)
}

/** Stores the object (its labels, annotations and fields; the system metadata is the store's). */
function store(
  api: WriteApi,
  object: Body,
  code: number,
  put: (input: ObjectInput) => StoredObject,
): Reply {
  const { kind: _kind, apiVersion: _apiVersion, metadata = {}, ...rest } = object
  const meta = metadata as {
    labels?: Record<string, string>
    annotations?: Record<string, string>
    ownerReferences?: unknown[]
  }
  const { labels = {}, annotations = {}, ownerReferences } = meta
  const stored = put({
    labels,
    annotations,
    body: rest,
    ...(ownerReferences && { ownerReferences }),
  })
  return { code, body: typed(api, stored) }
}

const kindOf = (api: WriteApi) => ({ kind: api.collection.kind, group: groupOf(api) })
