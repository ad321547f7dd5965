// A proxy fronts the app port, so it cannot apply to a Pod with no port to front, or with several
// and nothing to choose between them; nor to a Pod on the host network, where its ports would be
// the node's; nor in front of a port that speaks what it does not (an HTTP proxy before redis
// breaks every connection). A Pod that asks for the proxy itself is refused with a precise
// message, which its author can act on; but a namespace default or a policy meets Pods of every
// kind (workers, jobs, databases, node agents), and refusing those would turn a convenience into
// an outage: they are admitted without the proxy, with a warning, unless a policy that requires
// it says `notApplicable: deny`.
import { paramAnnotation, SIDECAR } from './annotations.ts'
import type { NotApplicable } from './catalog.ts'
import type { Container } from './pod.ts'
import type { Problem } from './problems.ts'
import type { KnownProtocol } from './protocol.ts'
import { type Chain, type ChainedProxy, chainOf, planChain, upstreamsOf } from './proxy-chain.ts'
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
      /** What the app port speaks, when a proxy is to front it. */
      protocol: KnownProtocol | undefined
      /** Proxies left out because they cannot apply, in chain order. */
      notApplicable: string[]
      warnings: string[]
    }
  | { ok: false; problems: Problem[] }

/** The Pod as the chain sees it: its own containers, its main one, and its network. */
export interface ChainTarget {
  app: readonly Container[]
  defaultContainer: string | undefined
  hostNetwork: boolean
  /** The proxies an earlier call injected (on reinvocation), configured as the Pod asks. */
  chained?: readonly ChainedProxy[]
}

// On the host network a proxy's ports are the node's: two such Pods on a node, or a node's own
// process on 15080, and the proxy cannot start; the app's port is exposed on the node besides.
const HOST_NETWORK =
  "the Pod uses the host network (spec.hostNetwork), where a proxy's ports are the node's"

/** Plans the proxy chain, leaving its proxies out if they cannot apply and nobody insists. */
export function applicableChain(
  sidecars: readonly ConfiguredSidecar[],
  { app, defaultContainer, hostNetwork, chained }: ChainTarget,
  asked: Asked,
): Applicable {
  const proxies = chainOf(sidecars)
  if (hostNetwork && proxies.length) {
    const unfit = proxies.map((proxy) => ({ proxy, because: HOST_NETWORK }))
    return leaveOut(sidecars, unfit, asked, none)
  }
  const chain = planChain(sidecars, app, defaultContainer, chained)
  if (!chain.ok) return chain.uninferred === undefined ? chain : uninferred(sidecars, chain, asked)
  const { protocol } = chain
  const unfit = proxies.flatMap((proxy) =>
    protocol === undefined || proxy.protocols.includes(protocol.protocol)
      ? []
      : [
          {
            proxy,
            because: unspoken(proxy, protocol),
            remedy: paramAnnotation(proxy.name, proxy.appPortParam),
          },
        ],
  )
  if (unfit.length === 0) return { ...chain, sidecars: [...sidecars], notApplicable: [] }
  const fit = proxies.filter((p) => !unfit.some((u) => u.proxy === p))
  const upstreams = chain.appPort === undefined ? new Map() : upstreamsOf(fit, chain.appPort)
  return leaveOut(sidecars, unfit, asked, { ...chain, upstreams })
}

function unspoken(proxy: ChainedProxy, { protocol, source }: KnownProtocol): string {
  const spoken = proxy.protocols.join(', ')
  return `the app port speaks ${protocol} (${source}), and ${proxy.name} proxies only ${spoken}`
}

/** What is left of the chain when some of its proxies are left out. */
interface Rest {
  appPort: number | undefined
  appPortFrom: string | undefined
  upstreams: ReadonlyMap<string, number>
  protocol: KnownProtocol | undefined
  warnings: string[]
}

const none: Rest = {
  appPort: undefined,
  appPortFrom: undefined,
  upstreams: new Map(),
  protocol: undefined,
  warnings: [],
}

// No port to front: every proxy is left out, and a Pod that asked for one itself is refused as it
// always was, with the annotation to set.
function uninferred(
  sidecars: readonly ConfiguredSidecar[],
  chain: Chain & { ok: false },
  asked: Asked,
): Applicable {
  const proxies = chainOf(sidecars).map((p) => ({ ...p, source: sourceOf(p.name, asked) }))
  if (proxies.some((p) => p.source.by === 'pod')) return chain
  const because = `${chain.uninferred}, so the app port cannot be inferred`
  const refusals = proxies.flatMap((p) => refusal(p, `needed: ${because}`))
  if (refusals.length) return { ok: false, problems: refusals }
  return {
    ok: true,
    sidecars: sidecars.filter((s) => s.proxy === undefined),
    ...none,
    notApplicable: proxies.map((p) => p.name),
    warnings: proxies.map((p) =>
      leftOutWarning(p, because, paramAnnotation(p.name, p.appPortParam)),
    ),
  }
}

interface Unfit {
  proxy: ChainedProxy
  because: string
  /** The annotation that would make it apply, if one can: another app port. */
  remedy?: string
}

// Proxies that cannot stand where the Pod needs them: refused where the Pod asked for them or a
// policy refuses Pods it cannot apply to; else left out with a warning, the rest going ahead.
function leaveOut(
  sidecars: readonly ConfiguredSidecar[],
  unfit: readonly Unfit[],
  asked: Asked,
  rest: Rest,
): Applicable {
  const problems = unfit.flatMap(({ proxy, because, remedy = SIDECAR }) => {
    const sourced = { ...proxy, source: sourceOf(proxy.name, asked) }
    const why = `${proxy.name} cannot apply: ${because}`
    if (sourced.source.by === 'pod') return [{ annotation: remedy, message: why }]
    return refusal(sourced, why, remedy)
  })
  if (problems.length) return { ok: false, problems }
  const names = new Set(unfit.map((u) => u.proxy.name))
  return {
    ok: true,
    sidecars: sidecars.filter((s) => !names.has(s.name)),
    ...rest,
    notApplicable: [...names],
    warnings: [
      ...rest.warnings,
      ...unfit.map(({ proxy, because }) =>
        leftOutWarning({ ...proxy, source: sourceOf(proxy.name, asked) }, because),
      ),
    ],
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

// `why` is the sentence before the policy's part: what is needed, or why the proxy cannot apply.
function refusal(
  { name, appPortParam, source }: Sourced,
  why: string,
  annotation = paramAnnotation(name, appPortParam),
): Problem[] {
  if (source.by !== 'policy' || source.notApplicable !== 'deny') return []
  const message = `${why}; policy ${source.policy} requires ${name} and refuses Pods it cannot apply to`
  return [{ annotation, message }]
}

function leftOutWarning({ name, source }: Sourced, because: string, toSet?: string): string {
  const advice = toSet === undefined ? '' : `; set ${toSet} to get it`
  return `${name} ${askedBy(source)} is not injected: ${because}${advice}`
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
