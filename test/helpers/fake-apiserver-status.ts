// The Status objects the real API server answers errors with, field for field: the constructors
// of k8s.io/apimachinery/pkg/api/errors/errors.go, encoded as metav1.Status
// (k8s.io/apimachinery/pkg/apis/meta/v1/types.go), where every field but metadata is omitempty:
// a core resource's empty group, an empty name or an empty reason is left out, while an empty
// details object is written as {}.

/** One field's problem (metav1.StatusCause); `reason` is the JSON name of its Type. */
export interface StatusCause {
  reason?: string
  message: string
  field?: string
}

/** A cause with its keys in metav1.StatusCause's order: reason, message, field. */
export const cause = (reason: string, field: string, message: string): StatusCause => ({
  reason,
  message,
  field,
})

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: StatusCause[]
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  /** Absent for StatusReasonUnknown, which is "". */
  reason?: string
  details?: StatusDetails
  code: number
}

/** A failure Status exactly as the API server writes it; `reason` '' is left out. */
export function status(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason !== '' && { reason }),
    ...(details && { details: omitEmpty(details) }),
    code,
  }
}

/** A resource as messages name it: `secrets`, or `plural.group` (schema.GroupResource). */
export interface Resource {
  plural: string
  /** '' for the core group. */
  group: string
}

/** A kind as Invalid messages name it: `Secret`, or `Kind.group` (schema.GroupKind). */
export interface Kind {
  kind: string
  group: string
}

const qualified = (name: string, group: string) => (group === '' ? name : `${name}.${group}`)
const detailsOf = (r: Resource, name: string) => ({ name, group: r.group, kind: r.plural })

// errors.NewNotFound.
export function notFound(resource: Resource, name: string): Status {
  const message = `${qualified(resource.plural, resource.group)} "${name}" not found`
  return status(404, 'NotFound', message, detailsOf(resource, name))
}

// errors.NewAlreadyExists, which the registry's create answers once validation has passed
// (k8s.io/apiserver pkg/registry/generic/registry/store.go, Store.create).
export function alreadyExists(resource: Resource, name: string): Status {
  const message = `${qualified(resource.plural, resource.group)} "${name}" already exists`
  return status(409, 'AlreadyExists', message, detailsOf(resource, name))
}

// errors.NewConflict with storage.OptimisticLockErrorMsg, as Store.Update answers a
// metadata.resourceVersion that is not the stored one.
export function conflict(resource: Resource, name: string): Status {
  const message = `Operation cannot be fulfilled on ${qualified(resource.plural, resource.group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`
  return status(409, 'Conflict', message, detailsOf(resource, name))
}

// errors.NewInvalid: `Secret "x" is invalid: data[tls.crt]: Required value`, the causes joined
// as utilerrors.Aggregate does ("[a, b]" for more than one).
export function invalid(kind: Kind, name: string, causes: StatusCause[]): Status {
  const each = causes.map((c) => `${c.field}: ${c.message}`)
  const list = each.length === 1 ? each[0] : `[${each.join(', ')}]`
  const message = `${qualified(kind.kind, kind.group)} "${name}" is invalid: ${list}`
  return status(422, 'Invalid', message, { name, group: kind.group, kind: kind.kind, causes })
}

// errors.NewBadRequest.
export function badRequest(message: string): Status {
  return status(400, 'BadRequest', message)
}

// errors.NewInternalError: the error once in the message and once as the only cause.
export function internalError(error: string): Status {
  const details = { causes: [{ message: error }] }
  return status(500, 'InternalError', `Internal error occurred: ${error}`, details)
}

// What go-restful refuses before any handler runs (no route for the path, a method the path does
// not take, a Content-Type the route does not consume) goes through the API server's
// serviceErrorHandler (k8s.io/apiserver pkg/server/handler.go) into
// errors.NewGenericServerResponse, which keeps only the code: its own message, and details {}.
// jsonPatcher.applyJSPatch (pkg/endpoints/handlers/patch.go) answers a failed JSON patch
// operation the same way, with 422.
const GENERIC: Readonly<Record<number, [reason: string, message: string]>> = {
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  415: ['UnsupportedMediaType', '415: Unsupported Media Type'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
}

/** errors.NewGenericServerResponse(code, "", {}, "", message, 0, false) for 404, 405, 415, 422. */
export function generic(code: 404 | 405 | 415 | 422): Status {
  const [reason, message] = GENERIC[code] ?? ['', '']
  return status(code, reason, message, {})
}

/**
 * What the real API server serves but this fake does not (selectors, strategic merge patches,
 * YAML bodies...): 501, a code the API server never answers, so a test that needs it fails
 * with this message instead of passing on an answer the real server would not give.
 */
export function unimplemented(what: string): Status {
  return status(501, 'NotImplemented', `the fake API server does not implement ${what}`)
}

function omitEmpty(details: StatusDetails): StatusDetails {
  return Object.fromEntries(
    Object.entries(details).filter(([, value]) => value !== '' && value !== undefined),
  )
}
