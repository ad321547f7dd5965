// PATCH bodies as the API server applies them to the stored object (k8s.io/apiserver
// pkg/endpoints/handlers/patch.go): which Content-Types a PATCH route takes, and the JSON patch
// (RFC 6902) and JSON merge patch (RFC 7386) of jsonPatcher.applyJSPatch, which uses
// gopkg.in/evanphx/json-patch.v4, and the strategic merge patch of smpPatcher
// (k8s.io/apimachinery pkg/util/strategicpatch/patch.go StrategicMergePatch). The fake applies
// them with rfc6902 and by hand; of strategic merge patches, only those made of objects alone,
// where they merge key by key exactly as a JSON merge patch does (what `kubectl rollout restart`
// sends); one with a list or a $-directive, which merge by patchMergeKey, is a 501.
import { applyPatch } from 'rfc6902'
import { badRequest, generic, type Status, unimplemented } from './fake-apiserver-status.ts'

export const JSON_PATCH = 'application/json-patch+json'
export const MERGE_PATCH = 'application/merge-patch+json'
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json'
// The route also consumes these (pkg/endpoints/installer.go, supportedTypes; apply-patch+cbor
// only with the CBORServingAndStorage feature, off by default); the fake does not implement them.
export const UNIMPLEMENTED_PATCH_TYPES = ['application/apply-patch+yaml'] as const

export type Applied = { ok: true; object: unknown } | { ok: false; status: Status }

/** `patch` (already valid JSON) applied to a copy of `object`. */
export function applyTo(object: object, type: string, patch: unknown): Applied {
  const copy = structuredClone(object)
  if (type === STRATEGIC_MERGE_PATCH && !onlyObjects(patch))
    return { ok: false, status: unimplemented('strategic merge patches with lists or directives') }
  if (type === MERGE_PATCH || type === STRATEGIC_MERGE_PATCH) {
    // json-patch's MergePatch answers a patch of `null` with ErrBadJSONPatch.
    if (patch === null) return { ok: false, status: badRequest('Invalid JSON Patch') }
    return { ok: true, object: mergePatch(copy, patch) }
  }
  // jsonpatch.DecodePatch unmarshals the body into a slice of operations; `null` is no operation.
  const operations = patch ?? []
  if (!Array.isArray(operations)) {
    const message = `json: cannot unmarshal ${goJsonType(operations)} into Go value of type jsonpatch.Patch`
    return { ok: false, status: badRequest(message) }
  }
  const failed = applyPatch(copy, operations).find((error) => error !== null)
  // A failed operation (a `test`, a missing path) is NewGenericServerResponse(422, ...), whose
  // message and empty details say nothing about which operation failed.
  return failed ? { ok: false, status: generic(422) } : { ok: true, object: copy }
}

function onlyObjects(patch: unknown): boolean {
  if (!isObject(patch)) return !Array.isArray(patch)
  return Object.entries(patch).every(([key, value]) => !key.startsWith('$') && onlyObjects(value))
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

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** How Go's encoding/json names a JSON value in an UnmarshalTypeError. */
export function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'boolean') return 'bool'
  return typeof value === 'object' ? 'object' : typeof value
}
