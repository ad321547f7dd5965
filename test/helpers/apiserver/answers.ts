// Answers of other parties' webhooks, for tests that put them in the chain beside ours.
import type { Json } from '../../../src/apiserver/attributes.ts'

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

/**
 * Another party's webhook for every Pod CREATE, configured as `configuration` (configurations run
 * in name order, so a name after ours runs after us), that adds the label cost-center once: a
 * change that makes the API server call our IfNeeded entries again.
 */
export function costLabeller(configuration: string, webhook: string) {
  return {
    configuration: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: configuration },
      webhooks: [
        {
          name: webhook,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          clientConfig: { url: `https://${webhook}/mutate` },
          rules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
          ],
        },
      ],
    },
    handler: (review: Json) =>
      review.request.object.metadata?.labels?.['cost-center'] !== undefined
        ? answer(review)
        : patched(review, [
            review.request.object.metadata?.labels
              ? { op: 'add', path: '/metadata/labels/cost-center', value: 'web' }
              : { op: 'add', path: '/metadata/labels', value: { 'cost-center': 'web' } },
          ]),
  }
}
