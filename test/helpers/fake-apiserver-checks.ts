// What the API server checks on every write of any kind, and what each kind adds: the object's
// namespace and name against the URL, a name at all, and the decoding of a body that is no object.
import { type CollectionApi, isNamespaced } from './fake-apiserver-api.ts'
import type { RouteRequest } from './fake-apiserver-http.ts'
import { goJsonType } from './fake-apiserver-patch.ts'
import { badRequest, cause, type Status, type StatusCause } from './fake-apiserver-status.ts'
import type { StoredObject } from './fake-apiserver-store.ts'

/** A written object as JSON. */
export type Body = Record<string, unknown> & { metadata?: Record<string, unknown> }

/** What one kind adds to every write. */
export interface KindRules {
  /** The error Go's JSON decoder stops at (a []byte field that is not base64), if any. */
  decode?(object: Body): string | undefined
  /** The API server's defaults. */
  prepare?(object: Body): Body
  /** The kind's validation problems, `old` being undefined on create. */
  check?(object: Body, old: StoredObject | undefined): StatusCause[]
  /** The strategy's AllowUnconditionalUpdate: a write without metadata.resourceVersion replaces
   *  whatever is stored (Secrets) instead of being refused (webhook configurations). */
  unconditionalUpdate: boolean
}

// serializer/json's SimpleMetaFactory.Interpret, reading apiVersion and kind from a value that is
// no object.
export const notAnObject = (value: unknown) =>
  `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(value)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`

// ValidateObjectMeta (k8s.io/apimachinery pkg/api/validation/objectmeta.go) comes first in every
// kind's validation.
export function nameProblems(name: string): StatusCause[] {
  if (name !== '') return []
  const message = 'Required value: name or generateName is required'
  return [cause('FieldValueRequired', 'metadata.name', message)]
}

// rest.EnsureObjectNamespaceMatchesRequestNamespace (pkg/registry/rest/meta.go): an unset
// namespace takes the request's, a cluster-scoped object loses any, a different one is refused.
export function inNamespace(
  api: CollectionApi,
  body: Body,
  request: RouteRequest,
): { ok: true; body: Body } | { ok: false; status: Status } {
  const expected = isNamespaced(api) ? (request.params.namespace ?? '') : ''
  const given = body.metadata?.namespace ?? ''
  if (given === expected) return { ok: true, body }
  if (given !== '' && expected !== '') {
    const message =
      'the namespace of the provided object does not match the namespace sent on the request'
    return { ok: false, status: badRequest(message) }
  }
  const { namespace: _namespace, ...metadata } = body.metadata ?? {}
  const placed = expected === '' ? metadata : { ...metadata, namespace: expected }
  return { ok: true, body: { ...body, metadata: placed } }
}

// checkName (pkg/endpoints/handlers/rest.go).
export function wrongName(body: Body, name: string): Status | undefined {
  const given = body.metadata?.name ?? ''
  if (given === name) return undefined
  return badRequest(
    `the name of the object (${String(given)}) does not match the name on the URL (${name})`,
  )
}
