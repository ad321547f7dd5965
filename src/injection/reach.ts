// Which of a namespace's requests the API server can act on. It sends the webhook Pods by the
// namespace's labels alone (README, "How requests combine"; manifests/base/
// mutatingwebhookconfiguration.yaml): a default in the patterns/sidecar annotation needs the
// defaults label, and a policy needs the enforced label, or the Pods that do not ask for a
// sidecar themselves never reach the webhook and silently go without.

import { selects } from '../apiserver/label-selector.ts'
import { parseList, SIDECAR } from './annotations.ts'
import type { Catalog, Policy } from './catalog.ts'
import type { NamespaceFacts } from './scope.ts'

/** The label that sends every Pod of a namespace to the webhook's `enforced` entry. */
export const ENFORCED_LABEL = 'sidecar-patterns.io/enforced'
/** The label that sends every Pod of a namespace to the webhook's `defaults` entry. */
export const DEFAULTS_LABEL = 'sidecar-patterns.io/defaults'

export type ReachProblem = 'defaults-unlabelled' | 'policy-unlabelled'

export interface Unreachable {
  problem: ReachProblem
  message: string
}

/** What the namespace asks for that the API server will not send the webhook, and why. */
export function unreachable(namespace: NamespaceFacts, catalog: Catalog): Unreachable[] {
  // As readScope reads it: a list too long to read is no default.
  const list = parseList(namespace.annotations[SIDECAR])
  const names = list.ok ? list.names : []
  const selecting = catalog.policies.filter((p) => selects(p.namespaceSelector, namespace.labels))
  return unreachableGiven(namespace, names, selecting)
}

/**
 * The same, from what readScope has already read: the names of the namespace's default and the
 * policies that select it.
 */
export function unreachableGiven(
  namespace: NamespaceFacts,
  defaults: readonly string[],
  selecting: readonly Policy[],
): Unreachable[] {
  if (namespace.labels[ENFORCED_LABEL] === 'true') return []
  const problems: Unreachable[] = []
  if (defaults.length > 0 && namespace.labels[DEFAULTS_LABEL] !== 'true') {
    problems.push({
      problem: 'defaults-unlabelled',
      message: `namespace ${namespace.name}: its ${SIDECAR} default reaches only Pods that ask for a sidecar themselves; label it ${DEFAULTS_LABEL}=true`,
    })
  }
  const policy = selecting.find((p) => p.required.length > 0)
  if (policy) {
    problems.push({
      problem: 'policy-unlabelled',
      message: `namespace ${namespace.name}: policy ${policy.name} cannot be enforced here: without the label ${ENFORCED_LABEL}=true the API server sends only some Pods, and none while the webhook is down`,
    })
  }
  return problems
}
