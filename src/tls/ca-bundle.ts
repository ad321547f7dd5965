// The caBundle of the webhook's MutatingWebhookConfiguration: the CAs the API server trusts when
// it calls the webhook. It follows the Secret's ca.crt, through a JSON patch that touches only
// the caBundle fields: a merge patch would have to send the whole webhooks list back, and
// client-node drops fields its models do not know when it reads objects, so it could erase
// settings a newer API server added.
import type { KubeConfig, V1MutatingWebhookConfiguration } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { type JsonPatchOperation, webhookConfigurationClient } from './kube-api.ts'

export const DEFAULT_WEBHOOK_CONFIGURATION = 'sidecar-patterns'

export interface CaBundleOptions {
  kubeConfig: KubeConfig
  /** The MutatingWebhookConfiguration; default sidecar-patterns. */
  name?: string
  /** The PEM bundle every webhook's clientConfig.caBundle must hold. */
  caBundle: string
  log: Logger
  signal?: AbortSignal
}

// Each retry follows a change someone else made between our read and our patch; a few in a row
// means something keeps rewriting the object.
const MAX_ATTEMPTS = 5

/** Sets every webhook's caBundle; resolves true if it patched, false if all were set already. */
export async function patchCaBundle(options: CaBundleOptions): Promise<boolean> {
  const name = options.name ?? DEFAULT_WEBHOOK_CONFIGURATION
  const signal = options.signal ?? new AbortController().signal
  const client = webhookConfigurationClient(options.kubeConfig, name, signal)
  const encoded = Buffer.from(options.caBundle).toString('base64')
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const operations = caBundleOperations(await client.read(), encoded)
    if (operations.length === 0) return false
    if ((await client.patch(operations)) !== 'changed') {
      options.log.info({ webhookConfiguration: name }, 'patched the caBundle')
      return true
    }
    options.log.info(
      { webhookConfiguration: name },
      'changed while patching its caBundle; retrying',
    )
  }
  throw new Error(
    `MutatingWebhookConfiguration ${name}: still changing under us after ${MAX_ATTEMPTS} attempts`,
  )
}

/**
 * The operations that set `caBundle` (base64) where it differs, none if it is set everywhere.
 * Webhooks are addressed by index, so the patch first tests the resourceVersion it was computed
 * from: if anything changed meanwhile (a webhook added or reordered by `kubectl apply`), the API
 * server refuses the whole patch and it is computed again from a fresh read.
 */
export function caBundleOperations(
  configuration: V1MutatingWebhookConfiguration,
  caBundle: string,
): JsonPatchOperation[] {
  const operations = (configuration.webhooks ?? []).flatMap((webhook, index) =>
    webhook.clientConfig.caBundle === caBundle
      ? []
      : [{ op: 'add' as const, path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle }],
  )
  if (operations.length === 0) return []
  const resourceVersion = configuration.metadata?.resourceVersion
  return [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...operations]
}
