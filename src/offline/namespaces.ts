// Namespace objects in the same input stand in for the cluster's: their labels select policies
// and their patterns/sidecar annotation is a default, as the webhook would see them.
import { type NamespaceFacts, namespaceFacts } from '../injection/scope.ts'

interface NamespaceObject {
  kind?: unknown
  metadata?: {
    name?: unknown
    labels?: Record<string, string>
    annotations?: Record<string, string>
  }
}

/** The Namespace objects among `objects`, by name. */
export function namespacesIn(objects: readonly unknown[]): Map<string, NamespaceFacts> {
  const found = new Map<string, NamespaceFacts>()
  for (const object of objects) {
    const { kind, metadata } = (object ?? {}) as NamespaceObject
    const name = metadata?.name
    if (kind !== 'Namespace' || typeof name !== 'string' || !name) continue
    // Not its resourceVersion, if the file has one: that is the API's, and a file is not the API.
    found.set(
      name,
      namespaceFacts(name, { labels: metadata?.labels, annotations: metadata?.annotations }),
    )
  }
  return found
}
