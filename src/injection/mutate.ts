// Applies a plan to one copy of the Pod, sidecar after sidecar; the patch is the diff of that
// copy against the original, so separate passes can never produce overlapping operations. The
// original is never modified.
import { INJECTED, REVISION } from './annotations.ts'
import type { InjectionPlan } from './decide.ts'
import { nameAllocator } from './names.ts'
import { type Container, containerNames, type Pod, volumeNames } from './pod.ts'
import { applyTakeover, PORT_TAKEOVER, type Takeover } from './port-takeover.ts'
import { formatRevisions, readRevisions } from './revisions.ts'
import type { SidecarParts } from './sidecar.ts'

/** Returns a copy of the Pod with the planned sidecars, their volumes and the record of them. */
export function inject(pod: Pod, plan: InjectionPlan): Pod {
  // Only what injection writes is copied: the spec, its container list and the containers in it
  // (metadata and the other lists are replaced whole below). Everything else stays shared with the
  // original, so the diff skips it without walking it: a review costs what it changes, not the
  // size of the Pod.
  const copy: Pod = {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec.containers.map((c) => ({ ...c })) },
  }
  const own = new Set(plan.app)
  const app = copy.spec.containers.filter((c) => own.has(c.name))
  const { protocol, takeover } = plan
  if (takeover) applyTakeover(app, takeover)
  const containerName = nameAllocator(containerNames(copy))
  const volumeName = nameAllocator(volumeNames(copy))
  for (const sidecar of plan.sidecars) {
    const upstream = plan.upstreams.get(sidecar.name)
    const parts = sidecar.build({
      mode: plan.mode,
      upstream,
      ...(protocol && { protocol }),
      ...(takeover?.sidecar === sidecar.name && { takeover: takeover.name }),
      containerName,
      volumeName,
    })
    add(copy, parts)
    if (parts.appMounts.length === 0) continue
    for (const container of app) {
      container.volumeMounts = [...(container.volumeMounts ?? []), ...parts.appMounts]
    }
  }
  complete(app, plan.completions)
  recordInjected(copy, plan, takeover)
  return copy
}

// Mounts of sidecars injected earlier, for app containers that lack them (added since).
function complete(app: readonly Container[], completions: InjectionPlan['completions']): void {
  for (const { container, mount } of completions) {
    const lacking = app.find((c) => c.name === container)
    if (lacking) lacking.volumeMounts = [...(lacking.volumeMounts ?? []), mount]
  }
}

function add(pod: Pod, parts: SidecarParts): void {
  const { spec } = pod
  spec.containers.push(...parts.containers)
  if (parts.initContainers.length)
    spec.initContainers = [...(spec.initContainers ?? []), ...parts.initContainers]
  if (parts.volumes.length) spec.volumes = [...(spec.volumes ?? []), ...parts.volumes]
}

// patterns/injected lists what an earlier call added and what this one adds; patterns/revision
// keeps the revisions an earlier call recorded for the former, and adds the latter's.
function recordInjected(pod: Pod, plan: InjectionPlan, takeover?: Takeover): void {
  const earlier = readRevisions(pod.metadata?.annotations)
  const revisions = [
    ...plan.alreadyInjected.flatMap((name) => {
      const digest = earlier.get(name)
      return digest === undefined ? [] : [[name, digest] as const]
    }),
    ...plan.sidecars.map((s) => [s.name, s.revision(plan.mode)] as const),
  ]
  const injected = [...plan.alreadyInjected, ...plan.sidecars.map((s) => s.name)]
  const annotations = {
    ...pod.metadata?.annotations,
    [INJECTED]: injected.join(','),
    [REVISION]: formatRevisions(revisions),
    ...(takeover && { [PORT_TAKEOVER]: JSON.stringify(takeover) }),
  }
  pod.metadata = { ...pod.metadata, annotations }
}
