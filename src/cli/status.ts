// `sidecar-patterns status`: which running Pods carry outdated sidecars, which lack sidecars they
// should have, and which are current, per namespace and owner; optionally a paced rollout restart
// of the owners that would renew them.

import { readFile } from 'node:fs/promises'
import type { Webhook } from '../apiserver/webhooks.ts'
import { clusterNamespace, type NamespaceView } from '../explain/namespace-view.ts'
import { creatorOf } from '../explain/targets.ts'
import { CONFIGURATION_NAME, clusterWebhooks } from '../explain/webhook-source.ts'
import type { Catalog } from '../injection/catalog.ts'
import { type InstalledCatalog, installedCatalog } from '../install/installed-catalog.ts'
import { DEFAULT_NAMES } from '../install/names.ts'
import { loadKubeConfig } from '../kube/config.ts'
import { type RestClient, restClient } from '../kube/rest.ts'
import { durationError, parseDuration } from '../shared/duration.ts'
import { type Parsed, readFlags } from '../shared/flags.ts'
import { parseOutput } from '../shared/output.ts'
import { classify } from '../status/classify.ts'
import { controllerOf, ownerResolver } from '../status/owners.ts'
import { buildReport, exitCode, type Report, reportText } from '../status/report.ts'
import { type PlannedRestart, restartOwners, restartPlan } from '../status/restart.ts'
import type { Io } from './io.ts'
import { withFlags } from './usage.ts'

export const STATUS_USAGE = `Usage: sidecar-patterns status [options]

Lists, per namespace and owner (Pod -> ReplicaSet -> Deployment, StatefulSet, DaemonSet,
Job -> CronJob), the running Pods whose sidecars are outdated (patterns/revision differs from the
revision today's catalog renders for the Pod), the Pods that lack sidecars the webhook would inject
today (missed injections: created while the webhook was unavailable under failurePolicy Ignore, or
before a default or policy applied), and counts the Pods that are current. Pods no webhook entry
is sent, with nothing injected, are out of scope. Reads the cluster of the kubeconfig and its
MutatingWebhookConfiguration; today's catalog is the one the cluster's webhook injects from (the
ConfigMap sidecar-patterns/sidecar-patterns-catalog and the image its Deployment passes as
--image), unless --config and --image say otherwise.

Options:
  -n, --namespace NAME         one namespace (default: every namespace)
  -l, --selector SELECTOR      only Pods with these labels (app=web,tier!=db)
  --kubeconfig FILE            the cluster ($KUBECONFIG or ~/.kube/config otherwise)
  --webhook-configuration NAME the cluster's MutatingWebhookConfiguration (default:
                               ${CONFIGURATION_NAME})
  --config FILE                catalog file, as for serve (default: the cluster's)
  --image REF                  the image that fills {{self.image}} (default: the webhook's)
  -o, --output FORMAT          text (default) or json
  --restart                    plan a rollout restart of each Deployment, StatefulSet and
                               DaemonSet with an outdated or missing sidecar; prints the plan
  --yes                        with --restart: carry the plan out
  --restart-interval DURATION  with --yes: the least time between two restarts (default 30s;
                               0s for none)
  -h, --help                   show this help

Exit status: 0 when every Pod in scope is current; 3 when some are outdated and none missing; 4
when some lack a sidecar; 1 when the cluster could not be read or a restart failed; 2 on bad
flags.`

interface StatusFlags {
  namespace?: string
  selector?: string
  kubeconfig?: string
  webhookConfiguration: string
  config?: string
  image?: string
  output: 'text' | 'json'
  restart: boolean
  yes: boolean
  intervalMs: number
}

/** Reports the fleet's sidecars; with --restart --yes, restarts what would renew them. */
export async function status(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), STATUS_USAGE, io, (flags) => run(flags, io))
}

async function run(flags: StatusFlags, io: Io): Promise<number> {
  const signal = AbortSignal.timeout(60 * 60_000)
  const options = flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }
  const rest = restClient(loadKubeConfig(options), signal)
  const installed = await readCatalog(rest, flags)
  if (!installed.ok) {
    io.err(installed.errors.map((e) => `error: ${e}`).join('\n'))
    return 1
  }
  const source = await clusterWebhooks(rest, flags.webhookConfiguration)
  if (source.webhooks.length === 0)
    io.err(`warning: ${source.from}: no Pod can be found missing a sidecar`)
  const report = await survey(
    rest,
    { catalog: installed.catalog, webhooks: source.webhooks },
    flags,
  )
  const plan = flags.restart ? restartPlan(report) : []
  const catalog = { from: installed.from, image: installed.image }
  if (flags.output === 'json')
    io.out(
      JSON.stringify({ catalog, ...report, ...(flags.restart && { restarts: plan }) }, null, 2),
    )
  else {
    const header = `catalog: ${catalog.from}, image ${catalog.image}`
    const restarts = flags.restart ? [planText(plan, flags.yes)] : []
    io.out([header, reportText(report), ...restarts].join('\n\n'))
  }
  if (!flags.restart || !flags.yes) return exitCode(report)
  return (await restart(rest, plan, flags, io)) ? exitCode(report) : 1
}

// Carries the plan out; false when a restart failed.
async function restart(
  rest: RestClient,
  plan: readonly PlannedRestart[],
  flags: StatusFlags,
  io: Io,
): Promise<boolean> {
  let failed = false
  await restartOwners(rest, plan, {
    intervalMs: flags.intervalMs,
    signal: AbortSignal.timeout(24 * 60 * 60_000),
    onDone: ({ namespace, owner }, result) => {
      const name = `${owner.kind.toLowerCase()}/${owner.name} -n ${namespace}`
      if (result.ok) io.err(`${name} restarted`)
      else io.err(`error: ${name}: ${result.error}`)
      failed ||= !result.ok
    },
  })
  return !failed
}

// The catalog the cluster's webhook injects from, unless --config and --image say otherwise.
async function readCatalog(rest: RestClient, flags: StatusFlags): Promise<InstalledCatalog> {
  const source = flags.config
    ? { name: flags.config, text: await readFile(flags.config, 'utf8') }
    : undefined
  const names = { ...DEFAULT_NAMES, webhookConfiguration: flags.webhookConfiguration }
  return installedCatalog(rest, names, {
    ...(source && { source }),
    ...(flags.image !== undefined && { image: flags.image }),
  })
}

// A Pod that has run to completion keeps the sidecars it had; only the others are reported.
const FINISHED = new Set(['Succeeded', 'Failed'])

interface ListedPod {
  metadata?: { name?: string; namespace?: string }
  status?: { phase?: string }
}

async function survey(
  rest: RestClient,
  { catalog, webhooks }: { catalog: Catalog; webhooks: readonly Webhook[] },
  flags: StatusFlags,
): Promise<Report> {
  const query = flags.selector === undefined ? {} : { labelSelector: flags.selector }
  const path =
    flags.namespace === undefined
      ? '/api/v1/pods'
      : `/api/v1/namespaces/${encodeURIComponent(flags.namespace)}/pods`
  const pods = ((await rest.list(path, query)) as ListedPod[]).filter(
    (p) => !FINISHED.has(p.status?.phase ?? ''),
  )
  const namespaces = await readNamespaces(rest, flags.namespace)
  const ownerOf = ownerResolver(rest)
  // One Pod after the other: owners are read as they are first met, a request at a time, rather
  // than in a burst of one per ReplicaSet of the fleet.
  const entries = []
  for (const pod of pods) {
    const namespace = pod.metadata?.namespace ?? ''
    const context = {
      catalog,
      webhooks,
      namespace: namespaces.get(namespace) ?? clusterNamespace(namespace, undefined),
      userInfo: creatorOf(controllerOf(pod)?.kind),
    }
    const status = classify(pod, context)
    const owner = await ownerOf(namespace, pod)
    entries.push({ namespace, owner, pod: { name: pod.metadata?.name ?? '', ...status } })
  }
  return buildReport(entries)
}

// The one namespace asked for, or every namespace in one list.
async function readNamespaces(
  rest: RestClient,
  only: string | undefined,
): Promise<Map<string, NamespaceView>> {
  const objects =
    only === undefined
      ? ((await rest.list('/api/v1/namespaces')) as { metadata?: { name?: string } }[])
      : [await rest.get(`/api/v1/namespaces/${encodeURIComponent(only)}`)]
  const views = objects.flatMap((object) => {
    const name = (object as { metadata?: { name?: string } } | undefined)?.metadata?.name
    return name === undefined ? [] : [clusterNamespace(name, object)]
  })
  return new Map(views.map((v) => [v.name, v]))
}

function planText(plan: readonly PlannedRestart[], yes: boolean): string {
  if (plan.length === 0) return 'restart: nothing to restart'
  const lines = plan.map(({ namespace, owner, cannot }) => {
    const name = `${owner.kind.toLowerCase()}/${owner.name} -n ${namespace}`
    return cannot ? `  ${name}: not restarted: ${cannot}` : `  ${name}`
  })
  const heading = yes
    ? 'restarting, one at a time:'
    : 'would restart (run again with --yes to do it):'
  return [heading, ...lines].join('\n')
}

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  selector: { type: 'string', short: 'l' },
  kubeconfig: { type: 'string' },
  'webhook-configuration': { type: 'string' },
  config: { type: 'string' },
  image: { type: 'string' },
  output: { type: 'string', short: 'o' },
  restart: { type: 'boolean' },
  yes: { type: 'boolean' },
  'restart-interval': { type: 'string' },
} as const

type Given = Partial<Record<string, string>> & { restart?: boolean; yes?: boolean }

function flagErrors(given: Given): string[] {
  const output = parseOutput(given.output)
  const interval = given['restart-interval']
  return [
    ...('error' in output ? [output.error] : []),
    // 0s is allowed: no pause between restarts.
    ...(interval === undefined || parseDuration(interval) !== undefined
      ? []
      : [`--restart-interval: ${durationError(interval, 0)}`]),
    ...(given.yes && !given.restart ? ['--yes goes with --restart'] : []),
  ]
}

function parseFlags(args: readonly string[]): Parsed<StatusFlags> {
  return readFlags(args, OPTIONS, (values): Parsed<StatusFlags> => {
    const given = values as Given
    const errors = flagErrors(given)
    if (errors.length) return { ok: false, errors }
    const optional = {
      namespace: given.namespace,
      selector: given.selector,
      kubeconfig: given.kubeconfig,
      config: given.config,
      image: given.image,
    }
    return {
      ok: true,
      value: {
        webhookConfiguration: given['webhook-configuration'] ?? CONFIGURATION_NAME,
        output: given.output === 'json' ? 'json' : 'text',
        restart: given.restart === true,
        yes: given.yes === true,
        intervalMs: parseDuration(given['restart-interval'] ?? '30s') ?? 0,
        ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
      },
    }
  })
}
