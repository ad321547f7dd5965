// Where one running Pod stands against today's catalog: its sidecars current, outdated (injected
// from a revision today's catalog no longer renders), or missing (the webhook would inject them
// now and the Pod lacks them: created while the webhook was down under failurePolicy Ignore, or
// before a default or a policy was added; or patterns/injected claims them, with today's revision
// even, and the Pod does not hold them: annotations copied into a template without the
// containers), or out of scope (no webhook entry is sent such Pods and nothing was injected). The
// webhook's own code answers: injectPod decides, the API server's selection
// (src/explain/webhook-trace.ts) says whether the webhook would be called at all.
import type { UserInfo } from '../apiserver/attributes.ts'
import type { Webhook } from '../apiserver/webhooks.ts'
import type { NamespaceView } from '../explain/namespace-view.ts'
import { traceWebhooks } from '../explain/webhook-trace.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { Decision } from '../injection/decide.ts'
import { type Unproven, weighClaims } from '../injection/evidence.ts'
import { injectPod } from '../injection/inject-pod.ts'
import type { Pod } from '../injection/pod.ts'
import { describeProblems } from '../injection/problems.ts'
import { type InjectionRequest, readRequest } from '../injection/request.ts'
import { type Outdated, outdatedSidecars } from './drift.ts'

export type { Outdated }

export type PodState = 'current' | 'outdated' | 'missing' | 'out-of-scope'

export interface PodStatus {
  state: PodState
  /** Sidecars patterns/injected lists. */
  injected: string[]
  outdated: Outdated[]
  /** Sidecars the webhook would inject into this Pod today. */
  missing: string[]
  /**
   * Sidecars patterns/injected claims under today's revision that the Pod does not hold, and why:
   * the webhook leaves such a claim standing (or refuses the Pod, for a sidecar a policy
   * requires), so no restart brings them.
   */
  unheld: Unproven[]
  /** Why the webhook would refuse this Pod today, if it would. */
  refused?: string
}

export interface PodContext {
  catalog: Catalog
  namespace: NamespaceView
  webhooks: readonly Webhook[]
  /** Who created the Pod: its controller. */
  userInfo: UserInfo
}

/** Where `pod` stands; a Pod the webhook could not read is out of scope. */
export function classify(pod: unknown, context: PodContext): PodStatus {
  const { catalog, namespace } = context
  const injection = injectPod(pod, catalog, namespace.facts)
  if (!injection.ok)
    return { state: 'out-of-scope', injected: [], outdated: [], missing: [], unheld: [] }
  const annotations = injection.pod.metadata?.annotations ?? {}
  const request = readRequest(annotations, catalog)
  const outdated = outdatedSidecars(annotations, request, catalog)
  const sent = traceWebhooks(context.webhooks, injection.pod, {
    namespace: namespace.name,
    namespaceLabels: namespace.labels,
    userInfo: context.userInfo,
  }).some((w) => w.called)
  const { decision } = injection
  const missing =
    sent && decision.action === 'inject' ? decision.plan.sidecars.map((s) => s.name) : []
  const refused =
    sent && decision.action === 'deny' ? describeProblems(decision.problems) : undefined
  const unheld = unheldClaims(unprovenClaims(injection.pod, request, catalog, decision), outdated)
  const status = {
    injected: request.injected,
    outdated,
    missing,
    unheld,
    ...(refused && { refused }),
  }
  if (missing.length || unheld.length) return { state: 'missing', ...status }
  if (outdated.length) return { state: 'outdated', ...status }
  if (request.injected.length || sent) return { state: 'current', ...status }
  return { state: 'out-of-scope', ...status }
}

// The claims the Pod does not bear out: as decide weighed them, or, where it weighed none (nothing
// asked), as it would weigh them, with nothing beside them.
function unprovenClaims(
  pod: Pod,
  request: InjectionRequest,
  catalog: Catalog,
  decision: Decision,
): readonly Unproven[] {
  if (decision.unproven) return decision.unproven
  if (request.injected.length === 0) return []
  return weighClaims(pod, request, catalog, { mode: request.mode ?? catalog.mode }).unproven
}

// The claims not borne out, but for outdated ones: a sidecar rendered by an older catalog is not
// held as today's renders it either, and a restart renews it.
function unheldClaims(unproven: readonly Unproven[], outdated: readonly Outdated[]): Unproven[] {
  const old = new Set(outdated.map((o) => o.sidecar))
  return unproven.filter((u) => !old.has(u.sidecar))
}
