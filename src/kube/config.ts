// Where the webhook finds the API server and its credentials.
import { KubeConfig } from '@kubernetes/client-node'
import { namingFlag } from '../shared/flag-file.ts'

export interface KubeConfigOptions {
  /** A kubeconfig file named on the command line; it wins over everything else. */
  kubeconfig?: string
}

/**
 * An explicit kubeconfig file, else the Pod's service account when running in a cluster, else
 * $KUBECONFIG or ~/.kube/config. The same order as controller-runtime's GetConfig, so a flag is
 * never silently ignored inside a Pod.
 */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const kubeConfig = new KubeConfig()
  if (options.kubeconfig !== undefined) loadFile(kubeConfig, options.kubeconfig)
  // The kubelet sets KUBERNETES_SERVICE_HOST in every container. client-node re-reads the token
  // under /var/run/secrets/kubernetes.io/serviceaccount as it ages, so rotated tokens are used.
  else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster()
  else kubeConfig.loadFromDefault()
  return kubeConfig
}

/** The API server's address `kubeConfig` names, for messages. */
export function serverAddress(kubeConfig: KubeConfig): string {
  return kubeConfig.getCurrentCluster()?.server ?? '(no server in the kubeconfig)'
}

// client-node reads the file itself (and resolves the certificate paths in it against its folder):
// its ENOENT says only "open 'x'", so the error is given the flag that named the file.
function loadFile(kubeConfig: KubeConfig, path: string): void {
  try {
    kubeConfig.loadFromFile(path)
  } catch (error) {
    throw namingFlag('--kubeconfig', path, error)
  }
}
