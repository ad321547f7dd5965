import type { NamespaceFacts } from '../injection/scope.ts'

/** Where the webhook learns a namespace's labels and annotations: a watch-backed cache. */
export interface NamespaceLookup {
  /** The namespace's metadata, or undefined when the API server has no such namespace. */
  get(name: string): Promise<NamespaceFacts | undefined>
}

/** Off a cluster, no namespace has labels or annotations: defaults and policies never apply. */
export const noNamespaces: NamespaceLookup = Object.freeze({ get: async () => undefined })
