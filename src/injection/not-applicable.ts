// A proxy fronts the app port, so it cannot apply to a Pod with no port to front, or with several
// and nothing to choose between them. A Pod that asks for the proxy itself is refused with a
// precise message, which its author can act on; but a namespace default or a policy meets Pods of
// every kind (workers, jobs, databases), and refusing those would turn a convenience into an
// outage: they are admitted without the proxy, with a warning, unless a policy that requires it
// says `notApplicable: deny`.
import { paramAnnotation } from './annotations.ts'
import type { NotApplicable } from './catalog.ts'
import type { Container } from './pod.ts'
import type { Problem } from './problems.ts'
import { type ChainedProxy, chainOf, planChain } from './proxy-chain.ts'
import type { InjectionRequest } from './request.ts'
import type { Scope } from './scope.ts'
import type { ConfiguredSidecar } from './sidecar.ts'

/** Who asked for the sidecars: the Pod's own annotations, and its namespace's scope. */
export interface Asked {
  request: InjectionRequest
  scope: Scope
}

export type Applicable =
  | {
      ok: true
      /** The sidecars to inject: all of them, or all but the proxies left out. */
      sidecars: ConfiguredSidecar[]
      appPort: number | undefined
      appPortFrom: string | undefined
      upstreams: ReadonlyMap<string, number>
      /** Proxies left out because they cannot apply, in chain order. */
      notApplicable: string[]
      warnings: string[]
    }
  | { ok: false; problems: Problem[] }

/** Plans the proxy chain, leaving its proxies out if they cannot apply and nobody insists. */
export function applicableChain(
  sidecars: readonly ConfiguredSidecar[],
  app: readonly Container[],
  defaultContainer: string | undefined,
  asked: Asked,
): Applicable {
  const chain = planChain(sidecars, app, defaultContainer)
  if (chain.ok) return { ...chain, sidecars: [...sidecars], notApplicable: [] }
  if (chain.uninferred === undefined) return chain
  const proxies = chainOf(sidecars).map((p) => ({ ...p, source: sourceOf(p.name, asked) }))
  // The Pod asked for one of them itself: refused as it always was, with the reason.
  if (proxies.some((p) => p.source.by === 'pod')) return chain
  const because = `${chain.uninferred}, so the app port cannot be inferred`
  const refusals = proxies.flatMap((p) => refusal(p, because))
  if (refusals.length) return { ok: false, problems: refusals }
  return {
    ok: true,
    sidecars: sidecars.filter((s) => s.proxy === undefined),
    appPort: undefined,
    appPortFrom: undefined,
    upstreams: new Map(),
    notApplicable: proxies.map((p) => p.name),
    warnings: proxies.map((p) => leftOutWarning(p, because)),
  }
}

type Source =
  | { by: 'pod' }
  | { by: 'policy'; policy: string; notApplicable: NotApplicable }
  | { by: 'namespace'; namespace: string }

type Sourced = ChainedProxy & { source: Source }

// The Pod's own list first (unless it opted out, which voids its list), then a policy, which
// outranks a default; a sidecar that is neither came from the namespace's default.
function sourceOf(sidecar: string, { request, scope }: Asked): Source {
  if (!request.optedOut && request.requested.includes(sidecar)) return { by: 'pod' }
  const requirement = scope.required.get(sidecar)
  return requirement
    ? { by: 'policy', ...requirement }
    : { by: 'namespace', namespace: scope.namespace ?? '' }
}

function refusal({ name, appPortParam, source }: Sourced, because: string): Problem[] {
  if (source.by !== 'policy' || source.notApplicable !== 'deny') return []
  const annotation = paramAnnotation(name, appPortParam)
  const message = `needed: ${because}; policy ${source.policy} requires ${name} and refuses Pods it cannot apply to`
  return [{ annotation, message }]
}

function leftOutWarning({ name, appPortParam, source }: Sourced, because: string): string {
  const annotation = paramAnnotation(name, appPortParam)
  return `${name} ${askedBy(source)} is not injected: ${because}; set ${annotation} to get it`
}

function askedBy(source: Source): string {
  switch (source.by) {
    case 'policy':
      return `required by policy ${source.policy}`
    case 'namespace':
      return `from the default of namespace ${source.namespace}`
    default:
      return 'asked for by the Pod'
  }
}
