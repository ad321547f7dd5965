// The names sidecars' containers start from, and a first guess at which containers are the app's:
// all but those named after a claimed sidecar (src/injection/evidence.ts settles it).
import { withoutOtherInjectors } from './other-injectors.ts'
import type { Container, Pod } from './pod.ts'

/** The name a sidecar's containers start from; a collision adds `-2`, `-3`, ... */
export function baseContainerName(sidecar: string): string {
  return `patterns-${sidecar}`
}

/** The Pod's own containers, leaving out those of already injected sidecars and other injectors'. */
export function appContainers(pod: Pod, injected: readonly string[]): Container[] {
  return withoutOtherInjectors(pod).filter((c) => !injected.some((s) => isNamedAfter(c.name, s)))
}

function isNamedAfter(container: string, sidecar: string): boolean {
  const base = baseContainerName(sidecar)
  const suffix = container.startsWith(`${base}-`) ? container.slice(base.length + 1) : undefined
  return container === base || (suffix !== undefined && /^[0-9]+$/.test(suffix))
}
