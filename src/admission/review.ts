// Decoding requests and building responses. Every response carries the request uid, and a patch
// always comes with its patchType: the API server rejects one without the other. Warnings and
// messages are bounded (src/admission/answer-bounds.ts).
import { Compile } from 'typebox/compile'
import type { Operation } from '../injection/patch.ts'
import { boundMessage, boundWarnings } from './answer-bounds.ts'
import {
  type AdmissionRequest,
  type AdmissionResponse,
  AdmissionReviewSchema,
  API_VERSION,
  KIND,
} from './types.ts'

const reviewValidator = Compile(AdmissionReviewSchema)

export type Parsed = { ok: true; request: AdmissionRequest } | { ok: false; error: string }

/** Checks that a decoded body is an admission.k8s.io/v1 AdmissionReview with a request. */
export function parseReview(body: unknown): Parsed {
  if (reviewValidator.Check(body)) return { ok: true, request: body.request }
  const errors = [...reviewValidator.Errors(body)].slice(0, 5)
  const detail = errors.map((e) => `${e.instancePath || '(body)'} ${e.message}`).join('; ')
  return { ok: false, error: `not an ${API_VERSION} ${KIND}: ${detail}` }
}

/** Lets the object through unchanged. */
export function allowed(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return { uid, allowed: true, ...withWarnings(warnings) }
}

/** Refuses the object, with a message for the person who created it. */
export function denied(
  uid: string,
  status: { code: number; reason: string; message: string },
  warnings: readonly string[] = [],
): AdmissionResponse {
  const bounded = { ...status, message: boundMessage(status.message) }
  return { uid, allowed: false, status: bounded, ...withWarnings(warnings) }
}

/**
 * Refuses the object because the webhook failed on it (a bug): the API server shows the message
 * and refuses the Pod whatever the failure policy, so no sidecar is dropped without a word.
 */
export function errored(uid: string): AdmissionResponse {
  const message = `sidecar-patterns failed on this review (uid ${uid}); its log says why`
  return denied(uid, { code: 500, reason: 'InternalError', message })
}

/** Lets the object through with a JSON Patch; no operations means no patch at all. */
export function patched(
  uid: string,
  operations: readonly Operation[],
  warnings: readonly string[] = [],
): AdmissionResponse {
  if (operations.length === 0) return allowed(uid, warnings)
  const patch = Buffer.from(JSON.stringify(operations)).toString('base64')
  return { uid, allowed: true, patchType: 'JSONPatch', patch, ...withWarnings(warnings) }
}

/** An AdmissionReview's JSON text with its uid left to fill in: one answer for many reviews. */
export interface EncodedReview {
  /** The JSON text of the review that answers `uid`. */
  withUid(uid: string): string
  /** The text's length without the uid, for sizing caches. */
  readonly length: number
}

/** Encodes the answer once; each review's uid is spliced in as a JSON string. */
export function encodeReview(response: AdmissionResponse): EncodedReview {
  const { uid: _, patch, ...rest } = response
  // `allowed` is always there, so `rest` is never `{}` and its fields follow the uid after a comma.
  const head = `{"apiVersion":"${API_VERSION}","kind":"${KIND}","response":{"uid":`
  // The patch, most of the answer, is base64, which needs no escaping: it goes last, as it is,
  // instead of through JSON.stringify's scan of every character.
  const fields = JSON.stringify(rest).slice(1, -1)
  const tail = patch === undefined ? `,${fields}}}` : `,${fields},"patch":"${patch}"}}`
  return {
    withUid: (uid) => head + JSON.stringify(uid) + tail,
    length: head.length + tail.length,
  }
}

function withWarnings(warnings: readonly string[]): { warnings?: string[] } {
  return warnings.length ? { warnings: boundWarnings(warnings) } : {}
}
