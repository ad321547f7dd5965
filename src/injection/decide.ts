// The pure decision: given a Pod and the catalog, which sidecars to add, or why none, or why the
// Pod is refused. Nothing here knows about HTTP or AdmissionReviews.
//
//   patterns/inject   patterns/sidecar        patterns/injected     decision
//   (invalid value)   any                     any                   deny
//   "false"           any                     any                   skip: opted-out
//   absent or "true"  absent or empty         any                   skip: not-requested
//   absent or "true"  has unknown names       any                   deny
//   absent or "true"  all listed already      lists them            skip: already-injected
//   absent or "true"  a proxy not yet         another proxy         deny: the chain is built
//                     injected                                      in one call
//   absent or "true"  some not yet injected   any                   inject those, or deny on
//                                                                   bad parameters or conflicts
import { SIDECAR } from './annotations.ts'
import { appContainers } from './app-containers.ts'
import { mountConflicts, portConflicts } from './conflicts.ts'
import type { Pod } from './pod.ts'
import type { Problem } from './problems.ts'
import { planChain } from './proxy-chain.ts'
import { type InjectionRequest, readRequest } from './request.ts'
import type { ConfiguredSidecar, Sidecar } from './sidecar.ts'
import type { Catalog } from './sidecars/index.ts'

export type SkipReason = 'opted-out' | 'not-requested' | 'already-injected'

export type Decision =
  | { action: 'skip'; reason: SkipReason; warnings: string[] }
  | { action: 'deny'; problems: Problem[]; warnings: string[] }
  | { action: 'inject'; plan: InjectionPlan; warnings: string[] }

/** What to inject: configured sidecars in catalog order, and where each proxy forwards. */
export interface InjectionPlan {
  sidecars: ConfiguredSidecar[]
  upstreams: ReadonlyMap<string, number>
  /** Sidecars an earlier call injected; their containers are not the app's. */
  alreadyInjected: string[]
}

/** Decides what to do with a Pod being created. */
export function decide(pod: Pod, catalog: Catalog): Decision {
  const request = readRequest(pod.metadata?.annotations ?? {}, catalog)
  const { warnings } = request
  if (request.invalidFlag) return { action: 'deny', problems: [request.invalidFlag], warnings }
  if (request.optedOut) return { action: 'skip', reason: 'opted-out', warnings }
  if (request.requested.length === 0) return { action: 'skip', reason: 'not-requested', warnings }
  if (request.unknownSidecars.length) {
    return { action: 'deny', problems: request.unknownSidecars, warnings }
  }
  const pending = [...catalog.values()].filter(
    (s) => request.requested.includes(s.name) && !request.injected.includes(s.name),
  )
  if (pending.length === 0) return { action: 'skip', reason: 'already-injected', warnings }
  const rechain = chainChange(pending, request.injected, catalog)
  if (rechain) return { action: 'deny', problems: [rechain], warnings }

  const planned = plan(pending, pod, request)
  return planned.ok
    ? { action: 'inject', plan: planned.plan, warnings }
    : { action: 'deny', problems: planned.problems, warnings }
}

// The chain is built in one call. A proxy that joins on reinvocation (another webhook edited
// patterns/sidecar in between) would have to re-point a proxy already injected; rather than leave
// one proxy forwarding past the other (clients of meter-http skipping auth), the Pod is refused.
function chainChange(pending: readonly Sidecar[], injected: readonly string[], catalog: Catalog) {
  const joining = pending.find((s) => s.isProxy)
  const present = injected.find((name) => catalog.get(name)?.isProxy)
  if (!joining || !present) return undefined
  const message = `${joining.name} cannot join the proxy chain of ${present}, injected by an earlier call; request them together`
  return { annotation: SIDECAR, message }
}

type Planned = { ok: true; plan: InjectionPlan } | { ok: false; problems: Problem[] }

function plan(pending: readonly Sidecar[], pod: Pod, request: InjectionRequest): Planned {
  const problems: Problem[] = []
  const sidecars: ConfiguredSidecar[] = []
  for (const sidecar of pending) {
    const configuration = sidecar.configure(request.params.get(sidecar.name) ?? new Map())
    if (configuration.ok) sidecars.push(configuration.sidecar)
    else problems.push(...configuration.problems)
  }
  if (problems.length) return { ok: false, problems }

  const app = appContainers(pod, request.injected)
  const chain = planChain(sidecars, app)
  if (!chain.ok) return chain
  const conflicts = [
    ...portConflicts(sidecars, pod, chain.appPort),
    ...mountConflicts(sidecars, app),
  ]
  if (conflicts.length) return { ok: false, problems: conflicts }
  const alreadyInjected = request.injected
  return { ok: true, plan: { sidecars, upstreams: chain.upstreams, alreadyInjected } }
}
