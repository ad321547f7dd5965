// What a Pod's namespace adds to its own request: defaults from the namespace's annotation, and
// sidecars that policies selecting the namespace's labels require.

import { selects } from '../apiserver/label-selector.ts'
import { parseList, SIDECAR } from './annotations.ts'
import type { Catalog, NotApplicable } from './catalog.ts'
import { unreachableGiven } from './reach.ts'
import { quote } from './validators.ts'

/** The labels and annotations of the Pod's namespace, as the API has them. */
export interface NamespaceFacts {
  name: string
  /**
   * The API server's version of the namespace object, which changes with every change to it;
   * absent where the namespace did not come from the API (a file for `inject`, a test).
   */
  resourceVersion?: string
  labels: Readonly<Record<string, string>>
  annotations: Readonly<Record<string, string>>
}

/** The part of a Namespace object's metadata the webhook reads. */
export interface NamespaceMetadata {
  resourceVersion?: string | undefined
  labels?: Readonly<Record<string, string>> | undefined
  annotations?: Readonly<Record<string, string>> | undefined
}

/** What the webhook reads of the namespace `name`, frozen: no reader can edit another's copy. */
export function namespaceFacts(name: string, metadata: NamespaceMetadata = {}): NamespaceFacts {
  const { resourceVersion } = metadata
  return Object.freeze({
    name,
    ...(resourceVersion && { resourceVersion }),
    labels: Object.freeze({ ...metadata.labels }),
    annotations: Object.freeze({ ...metadata.annotations }),
  })
}

/** The policy that requires a sidecar, and what it does where the sidecar cannot apply. */
export interface Requirement {
  policy: string
  notApplicable: NotApplicable
}

export interface Scope {
  /** The namespace's name, for messages; undefined off a cluster. */
  namespace: string | undefined
  /** Sidecars from the namespace's `patterns/sidecar`, known ones only. */
  defaults: string[]
  /**
   * Required sidecars, each with the first policy that requires it, or the first that refuses
   * Pods it cannot apply to if any does: the strictest policy decides.
   */
  required: ReadonlyMap<string, Requirement>
  warnings: string[]
}

/** Reads the namespace's defaults and the policies that apply to it. */
export function readScope(namespace: NamespaceFacts | undefined, catalog: Catalog): Scope {
  if (namespace === undefined)
    return { namespace: undefined, defaults: [], required: new Map(), warnings: [] }
  const list = parseList(namespace.annotations[SIDECAR])
  const names = list.ok ? list.names : []
  const unknown = names.filter((n) => !catalog.sidecars.has(n))
  const selecting = catalog.policies.filter((p) => selects(p.namespaceSelector, namespace.labels))
  const warnings = [
    ...(list.ok ? [] : [`namespace ${namespace.name}: ${SIDECAR} ${list.error}; ignored`]),
    ...unknown.map(
      (n) => `namespace ${namespace.name}: ${SIDECAR} names unknown sidecar ${quote(n)}; ignored`,
    ),
    // The Pods that reach the webhook are the ones to tell of what the others miss.
    ...unreachableGiven(namespace, names, selecting).map((u) => u.message),
  ]
  const required = new Map<string, Requirement>()
  for (const policy of selecting) {
    const requirement = { policy: policy.name, notApplicable: policy.notApplicable }
    for (const sidecar of policy.required)
      if (isStricter(requirement, required.get(sidecar))) required.set(sidecar, requirement)
  }
  const defaults = names.filter((n) => catalog.sidecars.has(n))
  return { namespace: namespace.name, defaults, required, warnings }
}

// The first policy counts, unless a later one refuses the Pods that the first admits.
function isStricter(next: Requirement, current: Requirement | undefined): boolean {
  return (
    current === undefined || (current.notApplicable === 'admit' && next.notApplicable === 'deny')
  )
}
