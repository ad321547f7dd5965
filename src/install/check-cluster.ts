// The API server itself: does it answer, and is it recent enough for what the install uses.
//
// Native sidecars (init containers with restartPolicy Always) are KEP-753 (kubernetes/enhancements
// keps/sig-node/753-sidecar-containers): alpha in 1.28 behind the SidecarContainers feature gate,
// off by default; beta and on by default from 1.29; GA in 1.33 (kubernetes.io, "Sidecar
// Containers" and the "Adopting built-in sidecar containers" tutorial). The manifests need 1.30:
// ValidatingAdmissionPolicy v1 and webhook matchConditions are GA there (README, "Install").
import type { VersionInfo } from '@kubernetes/client-node'
import type { InstallFacts } from './facts.ts'
import { type CheckResult, failed, passed } from './result.ts'

const NATIVE_FROM = 29
const NATIVE_GA = 33
const INSTALL_FROM = 30

/** A server's minor version: managed clusters write "29+" (GKE, EKS); undefined if unreadable. */
export function minorVersion(version: Pick<VersionInfo, 'major' | 'minor'>): number | undefined {
  const major = /^\d+/.exec(version.major)?.[0]
  const minor = /^\d+/.exec(version.minor)?.[0]
  return major === '1' && minor !== undefined ? Number(minor) : undefined
}

/** Whether the API answers, who it is, and whether it is recent enough. */
export function checkCluster(facts: InstallFacts, mode: 'native' | 'classic'): CheckResult[] {
  const { version, server } = facts
  if ('error' in version || 'missing' in version) {
    const why = 'error' in version ? version.error : 'GET /version answered 404'
    const fix =
      'check the kubeconfig (--kubeconfig, $KUBECONFIG, its current context) and that `kubectl version` answers'
    return [failed('api', `the API server at ${server} does not answer: ${why}`, fix)]
  }
  const minor = minorVersion(version.found)
  const api = passed(
    'api',
    `the API server at ${server} answers: Kubernetes ${version.found.gitVersion}`,
  )
  if (minor === undefined) {
    const message = `cannot tell Kubernetes ${version.found.gitVersion} apart from older versions`
    return [api, failed('kubernetes-version', message, 'run Kubernetes 1.30 or later')]
  }
  return [api, installVersion(minor), nativeSidecars(minor, mode)]
}

function installVersion(minor: number): CheckResult {
  if (minor >= INSTALL_FROM) return passed('kubernetes-version', `1.${minor} is 1.30 or later`)
  return failed(
    'kubernetes-version',
    `1.${minor} is older than 1.30, which the manifests need (ValidatingAdmissionPolicy v1, webhook matchConditions)`,
    'upgrade the cluster to 1.30 or later',
  )
}

function nativeSidecars(minor: number, mode: 'native' | 'classic'): CheckResult {
  const name = 'native-sidecars'
  if (minor >= NATIVE_GA) return passed(name, `1.${minor} runs native sidecars (GA since 1.33)`)
  if (minor >= NATIVE_FROM) {
    return passed(
      name,
      `1.${minor} runs native sidecars (beta, on by default since 1.29, unless the SidecarContainers feature gate was turned off)`,
    )
  }
  if (mode === 'classic') {
    return passed(name, `1.${minor} has no native sidecars, and the catalog's mode is classic`)
  }
  return failed(
    name,
    `1.${minor} does not run native sidecars by default (beta from 1.29), and the catalog's mode is native`,
    'set `mode: classic` in the catalog (manifests/base/catalog.yaml), or upgrade to 1.29 or later',
  )
}
