// The API server's own version, as `kubectl version` shows it: GET /version
// (k8s.io/apiserver pkg/server/routes/version.go answers with k8s.io/apimachinery version.Info).
import { type KubeConfig, VersionApi } from '@kubernetes/client-node'

/** The server's gitVersion, such as v1.34.1. */
export async function serverVersion(kubeConfig: KubeConfig): Promise<string> {
  const info = await kubeConfig.makeApiClient(VersionApi).getCode()
  return info.gitVersion
}
