// The API server's own version, as `kubectl version` shows it: GET /version
// (k8s.io/apiserver pkg/server/routes/version.go answers with k8s.io/apimachinery version.Info).
// What `version` prints and the first thing `check` reads; both wait for it only so long.
import { type KubeConfig, VersionApi, type VersionInfo } from '@kubernetes/client-node'
import { formatDuration } from '../shared/duration.ts'
import { withSignal } from './request-options.ts'

/** The server's version.Info; rejects when it fails or has not answered within `timeoutMs`. */
export async function serverVersion(
  kubeConfig: KubeConfig,
  timeoutMs: number,
): Promise<VersionInfo> {
  const deadline = AbortSignal.timeout(timeoutMs)
  try {
    // A call without parameters still takes them first: options alone would be read as them.
    return await kubeConfig.makeApiClient(VersionApi).getCode({}, withSignal(deadline))
  } catch (error) {
    if (!deadline.aborted) throw error
    throw new Error(`GET /version: no answer within ${formatDuration(timeoutMs)}`)
  }
}
