// Where one running Pod stands against today's catalog: its sidecars current, outdated (injected
// from a revision today's catalog no longer renders), or missing (the webhook would inject them
// now and the Pod lacks them: created while the webhook was down under failurePolicy Ignore, or
// before a default or a policy was added), or out of scope (no webhook entry is sent such Pods and
// nothing was injected). The webhook's own code answers: injectPod decides, the API server's
// selection (src/explain/webhook-trace.ts) says whether the webhook would be called at all.
import type { UserInfo } from '../apiserver/attributes.ts'
import type { Webhook } from '../apiserver/webhooks.ts'
import type { NamespaceView } from '../explain/namespace-view.ts'
import { traceWebhooks } from '../explain/webhook-trace.ts'
import type { Catalog } from '../injection/catalog.ts'
import { injectPod } from '../injection/inject-pod.ts'
import { describeProblems } from '../injection/problems.ts'
import { readRequest } from '../injection/request.ts'
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
  if (!injection.ok) return { state: 'out-of-scope', injected: [], outdated: [], missing: [] }
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
  const status = { injected: request.injected, outdated, missing, ...(refused && { refused }) }
  if (missing.length) return { state: 'missing', ...status }
  if (outdated.length) return { state: 'outdated', ...status }
  if (request.injected.length || sent) return { state: 'current', ...status }
  return { state: 'out-of-scope', ...status }
}
