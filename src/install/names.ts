// Where an installation's objects are: the names `kubectl apply -k manifests/` gives them, which
// an overlay may change (then the flags of `check` say so).

/** The objects of one installation that `check` reads. */
export interface InstallNames {
  namespace: string
  webhookConfiguration: string
  service: string
  deployment: string
  tlsSecret: string
  /** The ConfigMap holding the catalog, under the key CATALOG_KEY. */
  catalogConfigMap: string
  /** The ValidatingAdmissionPolicy that narrows the webhook's writes, and its binding. */
  admissionPolicy: string
}

/** The names in manifests/base. */
export const DEFAULT_NAMES: InstallNames = Object.freeze({
  namespace: 'sidecar-patterns',
  webhookConfiguration: 'sidecar-patterns',
  service: 'sidecar-patterns',
  deployment: 'sidecar-patterns',
  tlsSecret: 'sidecar-patterns-tls',
  catalogConfigMap: 'sidecar-patterns-catalog',
  admissionPolicy: 'sidecar-patterns-cabundle-only',
})

/** The file name the catalog has in the ConfigMap, and so in the webhook's mount. */
export const CATALOG_KEY = 'catalog.yaml'

/** The name the API server verifies the webhook's certificate for: `<service>.<namespace>.svc`
 *  (k8s.io/apiserver pkg/util/webhook/client.go, serverName of a service reference). */
export const serviceHost = (names: InstallNames) => `${names.service}.${names.namespace}.svc`
