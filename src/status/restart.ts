// `status --restart`: a rollout restart of each Deployment, StatefulSet and DaemonSet with an
// outdated or missing sidecar, one at a time and at most one per interval, so that a fleet is not
// restarted at once. The request is the one `kubectl rollout restart` sends (k8s.io/kubectl
// pkg/cmd/rollout/rollout_restart.go RunRestart, with pkg/polymorphichelpers/objectrestarter.go):
// a PATCH of Content-Type application/strategic-merge-patch+json setting the Pod template's
// kubectl.kubernetes.io/restartedAt annotation to the time in RFC 3339, which changes the
// template and so rolls the workload out; a paused Deployment is refused as kubectl refuses it.
import { setTimeout as sleep } from 'node:timers/promises'
import type { RestClient } from '../kube/rest.ts'
import type { Owner } from './owners.ts'
import type { Report } from './report.ts'

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt'
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json'
/** Who the API server records as the writer of the field (kubectl's is kubectl-rollout). */
export const FIELD_MANAGER = 'sidecar-patterns'

const RESOURCES: Readonly<Record<string, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
}

export interface PlannedRestart {
  namespace: string
  owner: Owner
  /** Why it is not restarted, for owners a rollout restart cannot renew. */
  cannot?: string
}

const UNHELD =
  'its Pods lack sidecars their template claims (patterns/injected): remove the claim there'

/** Every owner with an outdated or missing sidecar, and whether a rollout restart renews it. */
export function restartPlan(report: Report): PlannedRestart[] {
  return report.owners
    .filter((o) => o.counts.outdated + o.counts.missing > 0)
    .map(({ namespace, owner, pods }) => {
      // Only claims its Pods do not hold: new Pods would bear the template's claim again.
      const due = pods.filter((p) => p.state !== 'current')
      if (due.length && due.every((p) => p.outdated.length + p.missing.length === 0))
        return { namespace, owner, cannot: UNHELD }
      return RESOURCES[owner.kind]
        ? { namespace, owner }
        : {
            namespace,
            owner,
            cannot: `a ${owner.kind} has no rollout; delete its Pods to renew them`,
          }
    })
}

/** The body `kubectl rollout restart` sends at `now`. */
export function restartPatch(now: Date) {
  const restartedAt = now.toISOString().replace(/\.\d+Z$/, 'Z')
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } }
}

export interface RestartOptions {
  /** The least time between two restarts, in milliseconds. */
  intervalMs: number
  now?: () => Date
  /** Waits `ms`; rejects when `signal` aborts. */
  wait?: (ms: number, signal: AbortSignal) => Promise<unknown>
  signal: AbortSignal
  /** Told of each restart as it is done or refused. */
  onDone(restart: PlannedRestart, result: { ok: true } | { ok: false; error: string }): void
}

/** Restarts every owner `plan` can restart, one at a time, `intervalMs` apart; how many were. */
export async function restartOwners(
  rest: RestClient,
  plan: readonly PlannedRestart[],
  options: RestartOptions,
): Promise<number> {
  const wait = options.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }))
  const now = options.now ?? (() => new Date())
  let done = 0
  for (const [i, restart] of plan.filter((r) => r.cannot === undefined).entries()) {
    if (i > 0 && options.intervalMs > 0) await wait(options.intervalMs, options.signal)
    const result = await restartOne(rest, restart, now())
    options.onDone(restart, result)
    if (result.ok) done += 1
  }
  return done
}

async function restartOne(rest: RestClient, { namespace, owner }: PlannedRestart, now: Date) {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${RESOURCES[owner.kind]}/${encodeURIComponent(owner.name)}`
  try {
    const current = (await rest.get(path)) as { spec?: { paused?: boolean } } | undefined
    if (current === undefined) return { ok: false, error: 'not found' } as const
    if (current.spec?.paused)
      return {
        ok: false,
        error: "can't restart paused deployment (run rollout resume first)",
      } as const
    await rest.patch(
      `${path}?fieldManager=${FIELD_MANAGER}`,
      restartPatch(now),
      STRATEGIC_MERGE_PATCH,
    )
    return { ok: true } as const
  } catch (error) {
    return { ok: false, error: (error as Error).message } as const
  }
}
