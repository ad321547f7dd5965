// The pure decision: given a Pod, its namespace and the catalog, which sidecars to add, or why
// none, or why the Pod is refused. Nothing here knows about HTTP or AdmissionReviews.
//
// Which sidecars a Pod gets (README, "How requests combine", tests every row):
//   required by a policy selecting the namespace's labels, always, even if the Pod opts out;
//   plus, unless the Pod says patterns/inject: "false", the namespace's patterns/sidecar
//   and the Pod's own patterns/sidecar;
//   less what patterns/injected says an earlier call added, where the Pod bears it out
//   (src/injection/evidence.ts: the sidecar is there as the catalog renders it); a claim it does
//   not bear out is refused for a sidecar a policy requires, and warned about otherwise.
//
//   patterns/inject   Pod's list          decision
//   (invalid value)   any                 deny
//   "false"           any                 inject only what policy requires, with a warning;
//                                         skip (opted-out) if it requires nothing
//   absent or "true"  has unknown names   deny
//   absent or "true"  any                 inject the union, skip (not-requested) if it is
//                                         empty, skip (already-injected) if all are there;
//                                         deny on bad parameters, conflicts, or a proxy that
//                                         would join a chain built by an earlier call
//
// A proxy cannot apply when no port parameter is set and no app port can be inferred (no TCP
// port, or several; src/injection/app-port.ts); when the Pod is on the host network (every
// proxy); or when the app port speaks a protocol the proxy does not handle (src/injection/
// protocol.ts: auth's oauth2-proxy only HTTP/1.1; the meter handles all four). Then, for the
// proxies that cannot apply:
//
//   one asked for in the Pod's own list           deny (needed: ... / cannot apply: ...)
//   all from the namespace default or a policy    left out, each with a warning; inject the
//                                                 rest, skip (not-applicable) if nothing is left
//   ...and a policy requiring one says            deny, naming the policy
//      notApplicable: deny
//
// (With no port, the chain stands or falls whole: one proxy asked for by the Pod denies it. With
// the protocol, each proxy on its own: the meter goes ahead in front of redis, auth does not.)
//
// The outermost proxy injected takes over the app port's name (src/injection/port-takeover.ts).
import { INJECT, INJECTED, SIDECAR } from './annotations.ts'
import { appContainers } from './app-containers.ts'
import { DEFAULT_CONTAINER } from './app-port.ts'
import type { Catalog } from './catalog.ts'
import { mountConflicts, portConflicts } from './conflicts.ts'
import { type Completion, type Unproven, weighClaims } from './evidence.ts'
import { type Applicable, type Asked, applicableChain } from './not-applicable.ts'
import type { Container, Pod } from './pod.ts'
import { type Front, planTakeover, restoreNames, type Takeover } from './port-takeover.ts'
import type { Problem } from './problems.ts'
import type { Protocol } from './protocol.ts'
import { type ChainedProxy, chainOf } from './proxy-chain.ts'
import {
  type Configured,
  configureWanted,
  type InjectionRequest,
  readRequest,
  strayParamWarnings,
} from './request.ts'
import { type NamespaceFacts, readScope, type Scope } from './scope.ts'
import type { ConfiguredSidecar, Mode } from './sidecar.ts'

export type SkipReason = 'opted-out' | 'not-requested' | 'already-injected' | 'not-applicable'

export type Decision =
  | ({
      action: 'skip'
      reason: SkipReason
      warnings: string[]
      /** Sidecars of a namespace default or a policy that cannot apply to the Pod, left out. */
      notApplicable: string[]
    } & Standing)
  | ({ action: 'deny'; problems: Problem[]; warnings: string[] } & Standing)
  | ({
      action: 'inject'
      plan: InjectionPlan
      warnings: string[]
      notApplicable: string[]
    } & Standing)

/**
 * Claims of patterns/injected the Pod does not bear out (left standing, or, for a sidecar a policy
 * requires, the reason for a refusal); absent where the claims were not weighed (nothing asked,
 * or flags the Pod is refused for first).
 */
interface Standing {
  unproven?: Unproven[]
}

/** What to inject: configured sidecars in catalog order, where each proxy forwards, and how. */
export interface InjectionPlan {
  sidecars: ConfiguredSidecar[]
  upstreams: ReadonlyMap<string, number>
  /** The app port the proxies front, and where it came from; undefined without a proxy. */
  appPort: { port: number; from: string } | undefined
  /** What the app port speaks, for the proxies' protocol parameter. */
  protocol: Protocol | undefined
  /** The app port's name, which the outermost proxy takes over. */
  takeover: Takeover | undefined
  mode: Mode
  /** Sidecars an earlier call injected. */
  alreadyInjected: string[]
  /** The names of the Pod's own containers, which get the sidecars' app mounts. */
  app: readonly string[]
  /** App mounts of sidecars an earlier call injected that app containers lack (evidence.ts). */
  completions: readonly Completion[]
}

/** Decides what to do with a Pod being created in `namespace`. */
export function decide(pod: Pod, catalog: Catalog, namespace?: NamespaceFacts): Decision {
  const request = readRequest(pod.metadata?.annotations ?? {}, catalog)
  const scope = readScope(namespace, catalog)
  const warnings = [...request.warnings, ...scope.warnings, ...optOutWarnings(request, scope)]
  const skip = (reason: SkipReason): Decision => ({
    action: 'skip',
    reason,
    warnings,
    notApplicable: [],
  })
  if (request.invalidFlags.length)
    return { action: 'deny', problems: request.invalidFlags, warnings }
  const wanted = request.optedOut ? [] : [...scope.defaults, ...request.requested]
  const all = new Set([...scope.required.keys(), ...wanted])
  warnings.push(...strayParamWarnings(request.params, all, catalog))
  if (all.size === 0) return skip(request.optedOut ? 'opted-out' : 'not-requested')
  const mode = request.mode ?? catalog.mode
  // What is asked for and not claimed, configured once: the claims are weighed with it (the
  // earlier call resolved the chain with it too), and it is what is left to inject.
  const pending = configureWanted(
    catalog,
    request,
    (n) => all.has(n) && !request.injected.includes(n),
  )
  const claims = weighInjected(pod, { request, scope }, catalog, {
    mode,
    alongside: pending.sidecars,
  })
  warnings.push(...claims.warnings)
  const standing = { unproven: claims.unproven }
  const refused = [...(request.optedOut ? [] : request.unknownSidecars), ...claims.problems]
  if (refused.length) return { action: 'deny', problems: refused, warnings, ...standing }
  warnings.push(...claims.completions.map(completionWarning))
  if (pending.sidecars.length + pending.invalid.length === 0)
    return { ...nothingPending(claims, request, mode, warnings), ...standing }
  const present = request.injected.find((name) => catalog.sidecars.get(name)?.isProxy)
  const target = {
    pod,
    app: claims.app,
    chainedProxy: present,
    chained: claims.chained,
    takeover: claims.takeover,
    completions: claims.completions,
  }
  const planned = plan(pending, target, { request, scope }, mode)
  return planned.ok
    ? { ...injectOrSkip(planned, warnings), ...standing }
    : { action: 'deny', problems: planned.problems, warnings }
}

// Everything asked for may have been left out as not applicable: then nothing is injected.
function injectOrSkip(planned: Planned & { ok: true }, warnings: string[]): Decision {
  const { plan, notApplicable } = planned
  const all = [...warnings, ...planned.warnings]
  return plan.sidecars.length
    ? { action: 'inject', plan, warnings: all, notApplicable }
    : { action: 'skip', reason: 'not-applicable', warnings: all, notApplicable }
}

// A claim of injection that the Pod does not bear out (src/injection/evidence.ts) is refused for
// a sidecar a policy requires: otherwise writing patterns/injected would be a way around the
// policy. For any other sidecar it is left standing, with a warning: the Pod's author can only
// fool themselves, and a manifest injected offline under an older catalog keeps deploying.
function weighInjected(
  pod: Pod,
  { request, scope }: Asked,
  catalog: Catalog,
  weighing: { mode: Mode; alongside: readonly ConfiguredSidecar[] },
) {
  const problems: Problem[] = []
  const warnings: string[] = []
  if (request.injected.length === 0) {
    const app = appContainers(pod, [])
    const none = { chained: [], takeover: undefined, completions: [] }
    return { problems, warnings, unproven: [], app, ...none }
  }
  const claims = weighClaims(pod, request, catalog, weighing)
  const { unproven, app, chained, takeover, completions } = claims
  for (const { sidecar, why } of unproven) {
    const requirement = scope.required.get(sidecar)
    const claim = `${INJECTED} lists ${sidecar}, but the Pod does not hold it as the catalog renders it (${why})`
    if (requirement)
      problems.push({
        annotation: INJECTED,
        message: `${claim}; policy ${requirement.policy} requires it: remove ${sidecar} from ${INJECTED}, and its containers, to have it injected`,
      })
    else warnings.push(`${claim}; left as it is`)
  }
  return { problems, warnings, unproven, app, chained, takeover, completions }
}

// A container without the app mounts of a sidecar injected earlier (another webhook's, added since,
// or one the author wrote so) gets them: the Pod then holds the sidecar as the catalog renders it.
function completionWarning({ sidecar, container, mount }: Completion): string {
  return `${INJECTED} lists ${sidecar}; container ${container} gets its mount of ${mount.name} at ${mount.mountPath}, as every app container has`
}

// Everything asked for is there: nothing to do, or mounts to complete.
function nothingPending(
  claims: { app: readonly Container[]; completions: readonly Completion[] },
  request: InjectionRequest,
  mode: Mode,
  warnings: string[],
): Decision {
  if (claims.completions.length === 0)
    return { action: 'skip', reason: 'already-injected', warnings, notApplicable: [] }
  const plan: InjectionPlan = {
    sidecars: [],
    upstreams: new Map(),
    appPort: undefined,
    protocol: undefined,
    takeover: undefined,
    mode,
    alreadyInjected: request.injected,
    app: claims.app.map((c) => c.name),
    completions: claims.completions,
  }
  return { action: 'inject', plan, warnings, notApplicable: [] }
}

function optOutWarnings(request: InjectionRequest, scope: Scope): string[] {
  if (!request.optedOut) return []
  return [...scope.required].map(
    ([sidecar, { policy }]) =>
      `${INJECT} "false" does not apply to ${sidecar}: policy ${policy} requires it`,
  )
}

// The chain is built in one call. A proxy that joins on reinvocation (another webhook edited
// patterns/sidecar in between) would have to re-point a proxy already injected; rather than leave
// one proxy forwarding past the other (clients of meter-http skipping auth), the Pod is refused.
// Only a proxy that applies joins: one left out on the first call (auth in front of a gRPC port)
// is left out again, as it was, not refused.
function chainChange(applicable: readonly ConfiguredSidecar[], present: string | undefined) {
  const joining = applicable.find((s) => s.proxy)
  if (!joining || !present) return undefined
  const message = `${joining.name} cannot join the proxy chain of ${present}, injected by an earlier call; request them together`
  return { annotation: SIDECAR, message }
}

type Planned =
  | { ok: true; plan: InjectionPlan; warnings: string[]; notApplicable: string[] }
  | { ok: false; problems: Problem[] }

// The Pod and its own containers (src/injection/evidence.ts tells them from claimed sidecars'),
// and the proxy an earlier call put in front of the app, if any.
interface Target {
  pod: Pod
  app: readonly Container[]
  chainedProxy: string | undefined
  /**
   * The proxies an earlier call injected, configured as the Pod asks (evidence.ts): a proxy that
   * joins now is judged against the port and protocol they front, so one left out then as not
   * applicable is left out again rather than refused as joining the chain.
   */
  chained: readonly ChainedProxy[]
  /**
   * The app port's name an earlier call's proxy took over: the chain is resolved on the app's
   * ports as they were before it, as that call resolved it (and as evidence.ts does).
   */
  takeover: Takeover | undefined
  completions: readonly Completion[]
}

function plan(
  pending: Configured,
  { pod, app, chainedProxy, chained, takeover, completions }: Target,
  asked: Asked,
  mode: Mode,
): Planned {
  const { request } = asked
  const problems = pending.invalid.flatMap((i) => i.problems)
  if (problems.length) return { ok: false, problems }
  const configured = pending.sidecars

  const defaultContainer = pod.metadata?.annotations?.[DEFAULT_CONTAINER]?.trim()
  const hostNetwork = pod.spec.hostNetwork === true
  const before = takeover ? restoreNames(app, takeover) : app
  const target = { app: before, defaultContainer, hostNetwork, chained }
  const chain = applicableChain(configured, target, asked)
  if (!chain.ok) return chain
  const { sidecars, notApplicable, upstreams } = chain
  const rechain = chainChange(sidecars, chainedProxy)
  if (rechain) return { ok: false, problems: [rechain] }
  const conflicts = [
    ...portConflicts(sidecars, pod, chain.appPort),
    ...mountConflicts(sidecars, app),
  ]
  if (conflicts.length) return { ok: false, problems: conflicts }
  const front = frontOf(sidecars)
  const taking =
    front && chain.appPort !== undefined
      ? planTakeover(pod, app, chain.appPort, front)
      : { warnings: [] }
  const injection: InjectionPlan = {
    sidecars,
    upstreams,
    appPort: appPortOf(chain),
    protocol: chain.protocol?.protocol,
    takeover: taking.takeover,
    mode,
    alreadyInjected: request.injected,
    app: app.map((c) => c.name),
    completions,
  }
  const warnings = [...chain.warnings, ...taking.warnings]
  return { ok: true, plan: injection, warnings, notApplicable }
}

// The app port the chain fronts, with where it came from, for explain.
function appPortOf({ appPort, appPortFrom = '' }: Applicable & { ok: true }) {
  return appPort === undefined ? undefined : { port: appPort, from: appPortFrom }
}

// The proxy clients reach first, which takes the app port's name over.
function frontOf(sidecars: readonly ConfiguredSidecar[]): Front | undefined {
  const [first] = chainOf(sidecars)
  const listens = sidecars.find((s) => s.name === first?.name)?.listens ?? []
  if (first === undefined) return undefined
  const { listen } = first
  const otherNames = listens.flatMap((l) => (l.name && l.port !== listen.port ? [l.name] : []))
  return { sidecar: first.name, port: listen.port, portName: listen.name, otherNames }
}
