// One Pod through injection, the same for the webhook and for `sidecar-patterns inject`: check
// its shape, decide, add the sidecars to one copy and diff the copy against the original.
import type { Catalog } from './catalog.ts'
import { type Decision, decide } from './decide.ts'
import { inject } from './mutate.ts'
import { diff, type Operation } from './patch.ts'
import type { Pod } from './pod.ts'
import { checkPod } from './pod-shape.ts'
import type { NamespaceFacts } from './scope.ts'

/** The decision, with the patch that adds the sidecars when it is to inject them. */
export type PodDecision =
  | Exclude<Decision, { action: 'inject' }>
  | (Extract<Decision, { action: 'inject' }> & { operations: Operation[] })

/** The checked Pod and what to do with it, or the first field that makes it no Pod (checkPod). */
export type PodInjection =
  | { ok: true; pod: Pod; decision: PodDecision }
  | { ok: false; error: string }

/** Decides on `object` as a Pod of `namespace` and, if sidecars are to be added, patches it. */
export function injectPod(
  object: unknown,
  catalog: Catalog,
  namespace: NamespaceFacts | undefined,
): PodInjection {
  const checked = checkPod(object)
  if (!checked.ok) return checked
  const { pod } = checked
  const decision = decide(pod, catalog, namespace)
  if (decision.action !== 'inject') return { ok: true, pod, decision }
  const operations = diff(pod, inject(pod, decision.plan))
  return { ok: true, pod, decision: { ...decision, operations } }
}
