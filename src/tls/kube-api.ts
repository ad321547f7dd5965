// The two API objects the certificate code touches, behind small interfaces that turn the API
// server's answers into values: a missing Secret is undefined and a lost race is a result, not an
// exception, so the callers read as the protocol does.
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1MutatingWebhookConfiguration,
  type V1Secret,
} from '@kubernetes/client-node'
import { withSignal } from '../kube/request-options.ts'

// Reading or writing one small object takes milliseconds; this only bounds a hung connection.
const REQUEST_TIMEOUT_MS = 10_000

/** The webhook's name in the managedFields of what it writes: without one the API server takes
 *  the User-Agent's product, client-node's `kubernetes-client-javascript`, which says nothing.
 *  GitOps tools can then be told to leave this manager's fields alone (README, "Install"). */
export const FIELD_MANAGER = 'sidecar-patterns'

export interface SecretRef {
  namespace: string
  name: string
}

export interface SecretClient {
  /** The Secret, or undefined when there is none (404 NotFound). */
  read(): Promise<V1Secret | undefined>
  /** 'exists' when another replica created it first (409 AlreadyExists). */
  create(secret: V1Secret): Promise<V1Secret | 'exists'>
  /** Replaces it if `metadata.resourceVersion` is still current; 'conflict' when another write
   *  came first (409 Conflict). */
  replace(secret: V1Secret): Promise<V1Secret | 'conflict'>
}

/** One RFC 6902 operation, as the API server takes them with application/json-patch+json. */
export type JsonPatchOperation =
  | { op: 'test' | 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string }

export interface WebhookConfigurationClient {
  read(): Promise<V1MutatingWebhookConfiguration>
  /** 'changed' when the object is no longer the one the patch was made for: a `test` operation
   *  failed (422) or a resourceVersion precondition did (409 Conflict). */
  patch(operations: JsonPatchOperation[]): Promise<V1MutatingWebhookConfiguration | 'changed'>
}

/** Reads and writes the Secret `ref`; every request ends when `signal` aborts. */
export function secretClient(
  kubeConfig: KubeConfig,
  ref: SecretRef,
  signal: AbortSignal,
): SecretClient {
  const api = kubeConfig.makeApiClient(CoreV1Api)
  const options = () => withSignal(bounded(signal))
  return {
    read: () => api.readNamespacedSecret(ref, options()).catch(when([404], undefined)),
    create: (body) =>
      api
        .createNamespacedSecret({ namespace: ref.namespace, body }, options())
        .catch(when([409], 'exists' as const)),
    replace: (body) =>
      api
        .replaceNamespacedSecret({ ...ref, body }, options())
        .catch(when([409], 'conflict' as const)),
  }
}

/** Reads and patches the MutatingWebhookConfiguration `name`. */
export function webhookConfigurationClient(
  kubeConfig: KubeConfig,
  name: string,
  signal: AbortSignal,
): WebhookConfigurationClient {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api)
  return {
    read: () => api.readMutatingWebhookConfiguration({ name }, withSignal(bounded(signal))),
    // The generated client picks a patch type by itself (the first JSON-like one the API lists),
    // whatever the body is; client-node's setHeaderOptions middleware states the one this body
    // is written in, so the two cannot drift apart.
    patch: (body) =>
      api
        .patchMutatingWebhookConfiguration(
          { name, body, fieldManager: FIELD_MANAGER },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch, withSignal(bounded(signal))),
        )
        .catch(when([409, 422], 'changed' as const)),
  }
}

const bounded = (signal: AbortSignal) =>
  AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])

/** A rejection handler that turns the API statuses `codes` into `value` and rethrows the rest. */
function when<T>(codes: readonly number[], value: T) {
  return (error: unknown): T => {
    if (error instanceof ApiException && codes.includes(error.code)) return value
    throw error
  }
}
