// Builds Pods, and AdmissionReviews as the API server sends them for Pod creation, for
// table-driven tests, and reads the JSON Patch back out of the answers.

import type { Operation } from 'rfc6902'
import type { NamespaceLookup } from '../../src/admission/namespaces.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'

let counter = 0

/** A Pod named p with one app container on port 8080 and `annotations`, for injecting directly. */
export const annotatedPod = (annotations: Record<string, string>): Pod => ({
  metadata: { name: 'p', annotations },
  spec: { containers: [{ name: 'web', image: 'web', ports: [{ containerPort: 8080 }] }] },
})

/** A review of a Deployment's Pod in `namespace`, with `annotations` on the Pod. */
export function podReview(
  namespace: string,
  annotations?: Record<string, string>,
  containers?: Container[],
) {
  const uid = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'web-5d8f9c-', ...(annotations && { annotations }) },
    spec: {
      containers: containers ?? [
        { name: 'web', image: 'example/web:1', ports: [{ name: 'http', containerPort: 8080 }] },
      ],
    },
  }
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod,
      dryRun: false,
    },
  }
}

/** A NamespaceLookup over fixed namespaces, for tests that are not about the informer. */
export function staticNamespaces(namespaces: NamespaceFacts[]): NamespaceLookup {
  // Versioned as the API server versions them, unless a test says otherwise: they never change.
  const versioned = namespaces.map((n) => ({ resourceVersion: '1', ...n }))
  return { get: async (name) => versioned.find((n) => n.name === name) }
}

/** A response's patch: base64 of a JSON Patch (RFC 6902), as AdmissionResponse carries it. */
export function decodePatch(patch: string): Operation[] {
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8'))
}
