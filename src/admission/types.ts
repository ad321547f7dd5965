// admission.k8s.io/v1 as it travels on the wire, with the JSON field names of the API reference.
import { type Static, Type } from 'typebox'

export const API_VERSION = 'admission.k8s.io/v1'
export const KIND = 'AdmissionReview'

const GroupVersionKind = Type.Object({
  group: Type.String(),
  version: Type.String(),
  kind: Type.String(),
})

// Only the envelope is described; `object` stays opaque here so that nothing checks, coerces or
// strips the Pod before it is diffed. Unlisted fields are allowed: newer API servers add some.
export const AdmissionRequestSchema = Type.Object({
  uid: Type.String({ minLength: 1 }),
  kind: GroupVersionKind,
  subResource: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  operation: Type.String(),
  object: Type.Optional(Type.Unknown()),
  dryRun: Type.Optional(Type.Boolean()),
})

export const AdmissionReviewSchema = Type.Object({
  apiVersion: Type.Literal(API_VERSION),
  kind: Type.Literal(KIND),
  request: AdmissionRequestSchema,
})

export type AdmissionRequest = Static<typeof AdmissionRequestSchema>

/** metav1.Status, as a webhook returns it in `response.status`. */
export interface Status {
  code: number
  message: string
  reason?: string
}

export interface AdmissionResponse {
  uid: string
  allowed: boolean
  status?: Status
  patchType?: 'JSONPatch'
  /** Base64 of the JSON Patch. */
  patch?: string
  warnings?: string[]
}
