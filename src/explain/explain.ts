// `sidecar-patterns explain`: for one Pod (or Pod template), which webhook entry the API server
// would send it to, what the webhook would decide, and, for each sidecar of the catalog, whether it
// would be injected and why. The decision is injectPod's, the one the webhook and `inject` run;
// who asked for each sidecar is read with the same readRequest and readScope that decide() reads.
import type { UserInfo } from '../apiserver/attributes.ts'
import type { Webhook } from '../apiserver/webhooks.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { SkipReason } from '../injection/decide.ts'
import { injectPod, type PodDecision } from '../injection/inject-pod.ts'
import type { Problem } from '../injection/problems.ts'
import { readRequest } from '../injection/request.ts'
import { readScope } from '../injection/scope.ts'
import { type Outdated, outdatedSidecars } from '../status/drift.ts'
import type { NamespaceView } from './namespace-view.ts'
import { type Verdict, verdicts } from './verdicts.ts'
import { traceWebhooks, type WebhookTrace } from './webhook-trace.ts'

/** Where the webhook configuration was read from, and its entries. */
export interface WebhookSource {
  /** "manifests/base/mutatingwebhookconfiguration.yaml", or "the cluster". */
  from: string
  webhooks: readonly Webhook[]
}

export interface ExplainInput {
  /** What the Pod is, for people: "Deployment shop/web (Pod template)". */
  subject: string
  pod: unknown
  namespace: NamespaceView
  /** Who creates the Pod (a workload's controller), as CEL's request.userInfo sees it. */
  userInfo: UserInfo
  catalog: Catalog
  webhooks: WebhookSource
}

export type DecisionView =
  | {
      action: 'inject'
      sidecars: string[]
      /** App mounts of sidecars injected earlier that app containers lack, as `container: mount`. */
      completes?: string[]
    }
  | { action: 'skip'; reason: SkipReason }
  | { action: 'deny'; problems: Problem[] }
  | { action: 'invalid'; error: string }

export interface Explanation {
  subject: string
  namespace: NamespaceView
  webhooks: { from: string; entries: WebhookTrace[]; calledBy: string[] }
  /** What the webhook would answer, were it called. */
  decision: DecisionView
  /** The app port the proxies would front, and where it came from. */
  appPort: { port: number; from: string } | undefined
  /** Each sidecar of the catalog, whether it would be injected, and who asked for it. */
  sidecars: Verdict[]
  /** Sidecars patterns/injected lists that were rendered from another revision than today's. */
  outdated: Outdated[]
  warnings: string[]
}

/** Explains what the API server and the webhook would do with the Pod's CREATE. */
export function explain(input: ExplainInput): Explanation {
  const { namespace, catalog } = input
  const entries = traceWebhooks(input.webhooks.webhooks, input.pod, {
    namespace: namespace.name,
    namespaceLabels: namespace.labels,
    userInfo: input.userInfo,
  })
  const calledBy = entries.filter((e) => e.called).map((e) => e.name)
  const webhooks = { from: input.webhooks.from, entries, calledBy }
  const base = { subject: input.subject, namespace, webhooks }
  const injection = injectPod(input.pod, catalog, namespace.facts)
  if (!injection.ok) {
    const decision = { action: 'invalid', error: injection.error } as const
    return { ...base, decision, appPort: undefined, sidecars: [], outdated: [], warnings: [] }
  }
  const { pod, decision } = injection
  const request = readRequest(pod.metadata?.annotations ?? {}, catalog)
  const scope = readScope(namespace.facts, catalog)
  const judged = verdicts(decision, { request, scope }, catalog, calledBy.length > 0)
  return {
    ...base,
    decision: view(decision),
    appPort: decision.action === 'inject' ? decision.plan.appPort : undefined,
    sidecars: judged,
    outdated: outdatedSidecars(pod.metadata?.annotations ?? {}, request, catalog),
    warnings: decision.warnings,
  }
}

function view(decision: PodDecision): DecisionView {
  switch (decision.action) {
    case 'inject': {
      const sidecars = decision.plan.sidecars.map((s) => s.name)
      const completes = decision.plan.completions.map(
        ({ sidecar, container, mount }) =>
          `${container}: ${mount.name} at ${mount.mountPath} (${sidecar})`,
      )
      return { action: 'inject', sidecars, ...(completes.length && { completes }) }
    }
    case 'skip':
      return { action: 'skip', reason: decision.reason }
    case 'deny':
      return { action: 'deny', problems: decision.problems }
  }
}
