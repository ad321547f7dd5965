// What became of each sidecar of the catalog, read off the webhook's decision and who asked for
// it: nothing here decides anything the decision has not.
import type { Catalog, NotApplicable } from '../injection/catalog.ts'
import type { PodDecision } from '../injection/inject-pod.ts'
import type { Asked } from '../injection/not-applicable.ts'

export type AskedBy =
  | { by: 'pod' }
  | { by: 'namespace'; namespace: string }
  | { by: 'policy'; policy: string; notApplicable: NotApplicable }

export type SidecarVerdict =
  /** This call adds it. */
  | 'injected'
  /** patterns/injected lists it: an earlier call (or `inject`) added it. */
  | 'already-injected'
  /** A default or a policy asked for it, but it cannot apply (no app port), so it is left out. */
  | 'not-applicable'
  /** The Pod or its namespace asked for it, and the Pod says patterns/inject: "false". */
  | 'opted-out'
  /** It was asked for, and the Pod is refused. */
  | 'denied'
  /** It would be injected (or the Pod refused), but no webhook entry is sent the Pod. */
  | 'not-sent'
  | 'not-asked'

export interface Verdict {
  name: string
  verdict: SidecarVerdict
  askedBy: AskedBy[]
  revision?: string
}

/** Each catalog sidecar's verdict, in catalog order; `sent`: some webhook entry sees the Pod. */
export function verdicts(
  decision: PodDecision,
  asked: Asked,
  catalog: Catalog,
  sent: boolean,
): Verdict[] {
  const revisions = new Map(
    decision.action === 'inject'
      ? decision.plan.sidecars.map((s) => [s.name, s.revision(decision.plan.mode)])
      : [],
  )
  return [...catalog.sidecars.keys()].map((name) => {
    const askedBy = whoAsked(name, asked)
    const verdict = verdictOf(name, decision, asked, askedBy)
    const final = sent || (verdict !== 'injected' && verdict !== 'denied') ? verdict : 'not-sent'
    const revision = final === 'injected' ? revisions.get(name) : undefined
    return { name, verdict: final, askedBy, ...(revision !== undefined && { revision }) }
  })
}

function whoAsked(name: string, { request, scope }: Asked): AskedBy[] {
  const requirement = scope.required.get(name)
  return [
    ...(request.requested.includes(name) ? [{ by: 'pod' } as const] : []),
    ...(scope.defaults.includes(name)
      ? [{ by: 'namespace', namespace: scope.namespace ?? '' } as const]
      : []),
    ...(requirement ? [{ by: 'policy', ...requirement } as const] : []),
  ]
}

function verdictOf(
  name: string,
  decision: PodDecision,
  { request }: Asked,
  askedBy: readonly AskedBy[],
): SidecarVerdict {
  if (request.injected.includes(name) && decision.action !== 'deny') return 'already-injected'
  if ('notApplicable' in decision && decision.notApplicable.includes(name)) return 'not-applicable'
  const byPolicy = askedBy.some((a) => a.by === 'policy')
  if (askedBy.length === 0) return 'not-asked'
  if (request.optedOut && !byPolicy) return 'opted-out'
  switch (decision.action) {
    case 'inject':
      return decision.plan.sidecars.some((s) => s.name === name) ? 'injected' : 'not-asked'
    case 'deny':
      return 'denied'
    case 'skip':
      return 'not-asked'
  }
}
