// Answers of other parties' webhooks, for tests that put them in the chain beside ours.
import type { Json } from './attributes.ts'

/** An AdmissionReview answer to `review`: allowed, unless `response` says otherwise. */
export function answer(review: Json, response: Json = {}): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: review.request.uid, allowed: true, ...response },
  }
}

/** An allowed answer with a JSON Patch. */
export function patched(review: Json, patch: readonly Json[]): Json {
  const encoded = Buffer.from(JSON.stringify(patch)).toString('base64')
  return answer(review, { patchType: 'JSONPatch', patch: encoded })
}
