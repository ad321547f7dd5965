// The Pod's namespace as explain knows it: from the cluster, from Namespace objects in the input
// (as `inject` reads them), or assumed when neither says; the API server's namespaceSelector sees
// its labels, the webhook its labels and annotations.
import type { Labels } from '../apiserver/label-selector.ts'
import { type NamespaceFacts, type NamespaceMetadata, namespaceFacts } from '../injection/scope.ts'

/** The label the API server puts on every namespace (Kubernetes 1.21+), which it cannot lose. */
export const NAME_LABEL = 'kubernetes.io/metadata.name'

export interface NamespaceView {
  name: string
  /** Where its labels and annotations came from. */
  source: 'cluster' | 'input' | 'assumed'
  /** What the webhook reads of it; undefined where it is not known, as for `inject`. */
  facts: NamespaceFacts | undefined
  /** Its labels as a namespaceSelector sees them; null when the cluster has no such namespace. */
  labels: Labels | null
}

interface NamespaceObject {
  metadata?: NamespaceMetadata
}

/** A namespace read from the cluster; `object` undefined when it answered 404. */
export function clusterNamespace(name: string, object: unknown): NamespaceView {
  if (object === undefined) return { name, source: 'cluster', facts: undefined, labels: null }
  const facts = namespaceFacts(name, (object as NamespaceObject).metadata)
  return { name, source: 'cluster', facts, labels: facts.labels }
}

/** A namespace of the input, or, when the input holds none of that name, one with no labels
 *  but the name label and no annotations. */
export function inputNamespace(name: string, facts: NamespaceFacts | undefined): NamespaceView {
  if (facts === undefined)
    return { name, source: 'assumed', facts: undefined, labels: { [NAME_LABEL]: name } }
  return { name, source: 'input', facts, labels: { ...facts.labels, [NAME_LABEL]: name } }
}
