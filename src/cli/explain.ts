// `sidecar-patterns explain`: why a Pod would (or would not) get each sidecar, offline from
// manifests or live from a cluster.

import { readFile } from 'node:fs/promises'
import { loadCatalog } from '../catalog/load.ts'
import { type Explanation, explain, type WebhookSource } from '../explain/explain.ts'
import { clusterNamespace } from '../explain/namespace-view.ts'
import { clusterTargets, fileTargets, parseReference, type Target } from '../explain/targets.ts'
import { explanationText } from '../explain/text.ts'
import {
  CONFIGURATION_NAME,
  clusterWebhooks,
  fileWebhooks,
  MANIFEST,
} from '../explain/webhook-source.ts'
import { installedCatalog } from '../install/installed-catalog.ts'
import { DEFAULT_NAMES } from '../install/names.ts'
import { loadKubeConfig } from '../kube/config.ts'
import { type RestClient, restClient } from '../kube/rest.ts'
import { type Parsed, readFlags } from '../shared/flags.ts'
import { parseOutput } from '../shared/output.ts'
import type { Io } from './io.ts'
import { selfImage } from './self-image.ts'
import { withFlags } from './usage.ts'

export const EXPLAIN_USAGE = `Usage: sidecar-patterns explain -f FILE [options]
       sidecar-patterns explain [-n NAMESPACE] KIND/NAME [options]

Says, for each Pod or Pod template, which entry of the webhook's MutatingWebhookConfiguration the
API server would send its creation to (namespaceSelector, objectSelector, rules and CEL
matchConditions, evaluated as the API server does), what the webhook would decide, the app port
its proxies would front, and for each sidecar of the catalog whether it would be injected and who
asked for it (the Pod, its namespace's default, a policy).

With -f, the Pods and Pod templates of YAML manifests (as inject reads them); Namespace objects in
the same input stand for the cluster's. With KIND/NAME (pod, deployment, statefulset, daemonset,
replicaset, job, cronjob, or kubectl's short names: deploy/web), the object is read from the
cluster of the kubeconfig ($KUBECONFIG or ~/.kube/config unless --kubeconfig says).

The webhook configuration comes from the cluster whenever one is used (the configuration named
by --webhook-configuration), else from the manifests this tool ships (manifests/base); --webhooks
FILE reads it from a file instead. The catalog is, with a cluster, the one its webhook injects
from (ConfigMap sidecar-patterns/sidecar-patterns-catalog, and the image the webhook's Deployment
passes as --image), else the built-in one; --config and --image say otherwise.

Options:
  -f, --filename FILE          manifests to explain; - reads standard input
  -n, --namespace NAME         the namespace (default: the object's, else the kubeconfig
                               context's, else default)
  --kubeconfig FILE            the cluster to read objects, namespaces and the configuration from
  --webhook-configuration NAME the cluster's MutatingWebhookConfiguration (default:
                               ${CONFIGURATION_NAME})
  --webhooks FILE              read the webhook configuration from this YAML file
  --config FILE                catalog file, as for serve (default: the built-in catalog)
  --image REF                  the image that fills {{self.image}} (default: the webhook's, or
                               this version's release image offline)
  -o, --output FORMAT          text (default) or json
  -h, --help                   show this help

Exit status: 0 when every Pod was explained, 1 when something could not be read, 2 on bad flags.`

interface ExplainFlags {
  filename?: string
  reference?: string
  namespace?: string
  kubeconfig?: string
  webhookConfiguration: string
  webhooks?: string
  config?: string
  image?: string
  output: 'text' | 'json'
}

/** Explains the Pods named on the command line, in text or JSON on standard output. */
export async function explainCommand(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), EXPLAIN_USAGE, io, (flags) => run(flags, io))
}

async function run(flags: ExplainFlags, io: Io): Promise<number> {
  const signal = AbortSignal.timeout(5 * 60_000)
  const cluster = flags.reference !== undefined || flags.kubeconfig !== undefined
  const options = flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }
  const kubeConfig = cluster ? loadKubeConfig(options) : undefined
  const rest = kubeConfig && restClient(kubeConfig, signal)
  const loaded = await readCatalog(flags, io, rest)
  if (!loaded.ok) {
    io.err(loaded.errors.map((e) => `error: ${e}`).join('\n'))
    return 1
  }
  const namespace =
    flags.namespace ?? kubeConfig?.getContextObject(kubeConfig.currentContext)?.namespace
  const targets = await readTargets(flags, io, rest, namespace ?? 'default')
  const webhooks = await readWebhooks(flags, rest)
  const explanations = targets.map((target) =>
    explain({ ...target, catalog: loaded.catalog, webhooks }),
  )
  io.out(flags.output === 'json' ? json(explanations) : text(explanations))
  return 0
}

// --config and --image, else with a cluster the catalog its webhook injects from, else the
// built-in catalog and this version's image.
async function readCatalog(flags: ExplainFlags, io: Io, rest: RestClient | undefined) {
  const source = flags.config
    ? { name: flags.config, text: await readFile(flags.config, 'utf8') }
    : undefined
  if (!rest) return loadCatalog(source, selfImage(flags.image, io.version))
  const names = { ...DEFAULT_NAMES, webhookConfiguration: flags.webhookConfiguration }
  return installedCatalog(rest, names, {
    ...(source && { source }),
    ...(flags.image !== undefined && { image: flags.image }),
  })
}

async function readTargets(
  flags: ExplainFlags,
  io: Io,
  rest: RestClient | undefined,
  namespace: string,
): Promise<Target[]> {
  if (flags.reference !== undefined && rest) {
    const reference = parseReference(flags.reference)
    if (typeof reference === 'string') throw new Error(reference)
    return clusterTargets(rest, reference, namespace)
  }
  const name = flags.filename ?? '-'
  const text = name === '-' ? await io.stdin() : await readFile(name, 'utf8')
  const targets = fileTargets(text, namespace)
  if (!rest) return targets
  // With a cluster, the namespaces are the cluster's.
  const views = new Map(
    await Promise.all(
      [...new Set(targets.map((t) => t.namespace.name))].map(
        async (ns) =>
          [
            ns,
            clusterNamespace(ns, await rest.get(`/api/v1/namespaces/${encodeURIComponent(ns)}`)),
          ] as const,
      ),
    ),
  )
  return targets.map((t) => ({ ...t, namespace: views.get(t.namespace.name) ?? t.namespace }))
}

function readWebhooks(flags: ExplainFlags, rest: RestClient | undefined): Promise<WebhookSource> {
  if (flags.webhooks !== undefined) return fileWebhooks(flags.webhooks)
  if (rest) return clusterWebhooks(rest, flags.webhookConfiguration)
  // An installation without the manifests (the container image copies only the code).
  return fileWebhooks(MANIFEST).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
    throw new Error(
      `${MANIFEST} is not in this installation: give --webhooks FILE, or --kubeconfig to read the cluster's`,
    )
  })
}

function text(explanations: readonly Explanation[]): string {
  if (explanations.length === 0) return 'no Pod or Pod template found'
  return explanations.map(explanationText).join('\n\n')
}

function json(explanations: readonly Explanation[]): string {
  return JSON.stringify({ pods: explanations }, null, 2)
}

const OPTIONS = {
  filename: { type: 'string', short: 'f' },
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  'webhook-configuration': { type: 'string' },
  webhooks: { type: 'string' },
  config: { type: 'string' },
  image: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const

function parseFlags(args: readonly string[]): Parsed<ExplainFlags> {
  return readFlags(
    args,
    OPTIONS,
    (values, positionals): Parsed<ExplainFlags> => {
      const given = values as Partial<Record<string, string>>
      const [reference] = positionals
      const errors: string[] = []
      if ((given.filename === undefined) === (reference === undefined))
        errors.push('give either -f FILE or KIND/NAME')
      const output = parseOutput(given.output)
      if ('error' in output) errors.push(output.error)
      if (reference !== undefined && typeof parseReference(reference) === 'string')
        errors.push(parseReference(reference) as string)
      if (errors.length) return { ok: false, errors }
      const optional = {
        filename: given.filename,
        reference,
        namespace: given.namespace,
        kubeconfig: given.kubeconfig,
        webhooks: given.webhooks,
        config: given.config,
        image: given.image,
      }
      const set = Object.entries(optional).filter(([, v]) => v !== undefined)
      return {
        ok: true,
        value: {
          webhookConfiguration: given['webhook-configuration'] ?? CONFIGURATION_NAME,
          output: 'output' in output ? output.output : 'text',
          ...Object.fromEntries(set),
        },
      }
    },
    1,
  )
}
