// Where explain reads the MutatingWebhookConfiguration from: the manifests that install it (this
// checkout's or package's manifests/base, or a file given), or, with a kubeconfig, the cluster,
// where an operator's overlay or edits may differ from the manifests.
import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { loadWebhooks } from '../apiserver/webhooks.ts'
import type { RestClient } from '../kube/rest.ts'
import type { WebhookSource } from './explain.ts'

/** The configuration `kubectl apply -k manifests/...` installs. */
export const MANIFEST = new URL(
  '../../manifests/base/mutatingwebhookconfiguration.yaml',
  import.meta.url,
).pathname

/** The name the manifests give it. */
export const CONFIGURATION_NAME = 'sidecar-patterns'

/** Every MutatingWebhookConfiguration in the YAML file at `path`. */
export async function fileWebhooks(path: string): Promise<WebhookSource> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'))
  const list = Array.isArray(docs) ? docs : []
  const error = list.flatMap((doc) => doc.errors)[0]
  if (error) throw new Error(`${path}: ${error.message.split('\n')[0]}`)
  const configurations = list
    .map((doc) => doc.toJS() as { kind?: unknown })
    .filter((o) => o?.kind === 'MutatingWebhookConfiguration')
  if (configurations.length === 0) throw new Error(`${path}: no MutatingWebhookConfiguration`)
  return { from: shownPath(path), webhooks: loadWebhooks(configurations) }
}

// The shipped manifests by their place in this project, the same from a checkout and from an
// installed package; a file given, relative to where the command runs when it is below it.
function shownPath(path: string): string {
  if (path === MANIFEST) return 'manifests/base/mutatingwebhookconfiguration.yaml'
  const shown = relative(process.cwd(), path)
  return shown.startsWith('..') ? path : shown
}

/** The configuration `name` as the cluster has it; none when it is not installed. */
export async function clusterWebhooks(rest: RestClient, name: string): Promise<WebhookSource> {
  const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(name)}`
  const configuration = await rest.get(path)
  if (configuration === undefined)
    return { from: `the cluster, which has no MutatingWebhookConfiguration ${name}`, webhooks: [] }
  return {
    from: `the cluster's MutatingWebhookConfiguration ${name}`,
    webhooks: loadWebhooks([configuration]),
  }
}
