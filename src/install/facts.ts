// What `check` reads from the cluster, read once, in parallel, each object as found, missing
// (404) or unreadable (with the API server's message); the checks are pure functions of this.

import {
  AdmissionregistrationV1Api,
  ApiException,
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
  type V1EndpointSlice,
  type V1MutatingWebhookConfiguration,
  type V1Secret,
  type V1Service,
  type V1ValidatingAdmissionPolicy,
  type V1ValidatingAdmissionPolicyBinding,
  type VersionInfo,
} from '@kubernetes/client-node'
import { describeApiError } from '../kube/api-error.ts'
import { serverAddress } from '../kube/config.ts'
import { withSignal } from '../kube/request-options.ts'
import { serverVersion } from '../kube/server-version.ts'
import type { InstallNames } from './names.ts'

/** One object as read: found, absent, or not readable (no access, a network error...). */
export type Read<T> = { found: T } | { missing: true } | { error: string }

/** Everything the checks look at. */
export interface InstallFacts {
  /** The API server's address, for messages. */
  server: string
  version: Read<VersionInfo>
  webhookConfiguration: Read<V1MutatingWebhookConfiguration>
  service: Read<V1Service>
  endpointSlices: Read<V1EndpointSlice[]>
  deployment: Read<V1Deployment>
  secret: Read<V1Secret>
  catalog: Read<V1ConfigMap>
  admissionPolicy: Read<V1ValidatingAdmissionPolicy>
  admissionPolicyBinding: Read<V1ValidatingAdmissionPolicyBinding>
}

/** Reads the installation `names` through `kubeConfig`, waiting at most `timeoutMs` for each
 *  answer; never throws for an API answer. */
export async function readInstall(
  kubeConfig: KubeConfig,
  names: InstallNames,
  timeoutMs: number,
): Promise<InstallFacts> {
  const server = serverAddress(kubeConfig)
  const version = await read(serverVersion(kubeConfig, timeoutMs))
  // Nothing else can be read from a server that does not answer; each would repeat why.
  if ('error' in version) return { server, version, ...unread(version) }
  const options = () => withSignal(AbortSignal.timeout(timeoutMs))
  const [admission, workload] = await Promise.all([
    readAdmission(kubeConfig, names, options),
    readWorkload(kubeConfig, names, options),
  ])
  return { server, version, ...admission, ...workload }
}

/** Options for one call, with its own deadline. */
type Options = () => ConfigurationOptions

// The cluster-scoped objects: the webhook configuration, and the policy that guards it.
async function readAdmission(kubeConfig: KubeConfig, names: InstallNames, options: Options) {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api)
  const name = names.admissionPolicy
  const [webhookConfiguration, admissionPolicy, admissionPolicyBinding] = await Promise.all([
    read(api.readMutatingWebhookConfiguration({ name: names.webhookConfiguration }, options())),
    read(api.readValidatingAdmissionPolicy({ name }, options())),
    read(api.readValidatingAdmissionPolicyBinding({ name }, options())),
  ])
  return { webhookConfiguration, admissionPolicy, admissionPolicyBinding }
}

// The objects in the webhook's namespace: what serves it, its certificate and its catalog.
async function readWorkload(kubeConfig: KubeConfig, names: InstallNames, options: Options) {
  const { namespace } = names
  const core = kubeConfig.makeApiClient(CoreV1Api)
  // The label the EndpointSlice controller puts on every slice of a Service.
  const labelSelector = `kubernetes.io/service-name=${names.service}`
  const [service, endpointSlices, deployment, secret, catalog] = await Promise.all([
    read(core.readNamespacedService({ namespace, name: names.service }, options())),
    read(
      kubeConfig
        .makeApiClient(DiscoveryV1Api)
        .listNamespacedEndpointSlice({ namespace, labelSelector }, options())
        .then((list) => list.items),
    ),
    read(
      kubeConfig
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ namespace, name: names.deployment }, options()),
    ),
    read(core.readNamespacedSecret({ namespace, name: names.tlsSecret }, options())),
    read(core.readNamespacedConfigMap({ namespace, name: names.catalogConfigMap }, options())),
  ])
  return { service, endpointSlices, deployment, secret, catalog }
}

function unread(failed: { error: string }): Omit<InstallFacts, 'server' | 'version'> {
  const error = { error: `not read: ${failed.error}` }
  return {
    webhookConfiguration: error,
    service: error,
    endpointSlices: error,
    deployment: error,
    secret: error,
    catalog: error,
    admissionPolicy: error,
    admissionPolicyBinding: error,
  }
}

async function read<T>(request: Promise<T>): Promise<Read<T>> {
  try {
    return { found: await request }
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return { missing: true }
    return { error: describeApiError(error) }
  }
}
