// Every injected container meets the Pod Security "restricted" profile and carries requests and
// limits, so that injection never turns a compliant Pod into one that admission would reject.
import type { ResourceRequirements, SecurityContext } from '../pod.ts'

/** The restricted profile, running as the image's own non-root user id. */
export function restricted(
  uid: number,
  { readOnlyRootFilesystem = true }: { readOnlyRootFilesystem?: boolean } = {},
): SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  }
}

/** Small proxies and helpers: a guaranteed share of CPU and a memory ceiling, no CPU limit (throttling hurts latency more than it protects). */
export function resources(memoryRequest: string, memoryLimit: string): ResourceRequirements {
  return { requests: { cpu: '10m', memory: memoryRequest }, limits: { memory: memoryLimit } }
}
