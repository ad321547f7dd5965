// What a Pod's namespace adds to its own request: defaults from the namespace's annotation, and
// sidecars that policies selecting the namespace's labels require.
import { parseList, SIDECAR } from './annotations.ts'
import { type Catalog, matches } from './catalog.ts'
import { quote } from './validators.ts'

/** The labels and annotations of the Pod's namespace, as the API has them. */
export interface NamespaceFacts {
  name: string
  labels: Readonly<Record<string, string>>
  annotations: Readonly<Record<string, string>>
}

export interface Scope {
  /** Sidecars from the namespace's `patterns/sidecar`, known ones only. */
  defaults: string[]
  /** Required sidecars, each with the first policy that requires it. */
  required: ReadonlyMap<string, string>
  warnings: string[]
}

/** Reads the namespace's defaults and the policies that apply to it. */
export function readScope(namespace: NamespaceFacts | undefined, catalog: Catalog): Scope {
  if (namespace === undefined) return { defaults: [], required: new Map(), warnings: [] }
  const { names } = parseList(namespace.annotations[SIDECAR])
  const unknown = names.filter((n) => !catalog.sidecars.has(n))
  const warnings = unknown.map(
    (n) => `namespace ${namespace.name}: ${SIDECAR} names unknown sidecar ${quote(n)}; ignored`,
  )
  const required = new Map<string, string>()
  for (const policy of catalog.policies.filter((p) =>
    matches(p.namespaceSelector, namespace.labels),
  )) {
    for (const sidecar of policy.required)
      if (!required.has(sidecar)) required.set(sidecar, policy.name)
  }
  return { defaults: names.filter((n) => catalog.sidecars.has(n)), required, warnings }
}
