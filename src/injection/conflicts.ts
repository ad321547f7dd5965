// Checks that what the sidecars would add fits the Pod: the API server rejects a container with
// two mounts at one path, and two processes of a Pod cannot listen on the same port.
import { paramAnnotation } from './annotations.ts'
import type { Container, Pod } from './pod.ts'
import type { Problem } from './problems.ts'
import type { ConfiguredSidecar } from './sidecar.ts'

/** Ports the sidecars would listen on that the Pod, the app port or another sidecar already uses. */
export function portConflicts(
  sidecars: readonly ConfiguredSidecar[],
  pod: Pod,
  appPort: number | undefined,
): Problem[] {
  const taken = portsInUse(pod, appPort)
  const problems: Problem[] = []
  for (const sidecar of sidecars) {
    for (const listen of sidecar.listens) {
      const annotation = paramAnnotation(sidecar.name, listen.param)
      const user = taken.get(listen.port)
      if (user === undefined) taken.set(listen.port, annotation)
      else problems.push({ annotation, message: `port ${listen.port} is already used by ${user}` })
    }
  }
  return problems
}

function portsInUse(pod: Pod, appPort: number | undefined): Map<number, string> {
  const taken = new Map<number, string>()
  for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of container.ports ?? [])
      taken.set(p.containerPort, `container "${container.name}"`)
  }
  if (appPort !== undefined && !taken.has(appPort)) taken.set(appPort, 'the app port')
  return taken
}

/** Paths the sidecars would mount into app containers that one of them already mounts. */
export function mountConflicts(
  sidecars: readonly ConfiguredSidecar[],
  app: readonly Container[],
): Problem[] {
  const problems: Problem[] = []
  const claimed = new Map<string, string>()
  for (const sidecar of sidecars) {
    for (const { path, param } of sidecar.appMountPaths) {
      const annotation = paramAnnotation(sidecar.name, param)
      const holder = claimed.get(path) ?? mountedIn(app, path)
      if (holder) problems.push({ annotation, message: `${path} is already mounted in ${holder}` })
      else claimed.set(path, annotation)
    }
  }
  return problems
}

function mountedIn(app: readonly Container[], path: string): string | undefined {
  const container = app.find((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === path))
  return container && `container "${container.name}"`
}
