// `sidecar-patterns check`: preflight and health of an installation, through a kubeconfig.

import type { KubeConfig } from '@kubernetes/client-node'
import { type CheckResult, runChecks } from '../install/checks.ts'
import { readInstall } from '../install/facts.ts'
import { DEFAULT_NAMES, type InstallNames } from '../install/names.ts'
import { failed } from '../install/result.ts'
import { loadKubeConfig } from '../kube/config.ts'
import { DNS_LABEL, DNS_SUBDOMAIN } from '../kube/names.ts'
import { type FlagValues, type Parsed, readFlags } from '../shared/flags.ts'
import { parseOutput } from '../shared/output.ts'
import {
  parseRequestTimeout,
  REQUEST_TIMEOUT_OPTION,
  REQUEST_TIMEOUT_USAGE,
} from '../shared/request-timeout.ts'
import type { Io } from './io.ts'
import { selfImage } from './self-image.ts'
import { withFlags } from './usage.ts'

export const CHECK_USAGE = `Usage: sidecar-patterns check [options]

Checks an installation through the Kubernetes API, one line per check: the API server answers;
Kubernetes is 1.30 or later and runs native sidecars; the MutatingWebhookConfiguration is
registered and calls the webhook's Service; the Deployment is available and the Service has
ready endpoints; every webhook's caBundle holds the CA that signed the serving certificate; the
certificate is valid, not overdue for renewal and names <service>.<namespace>.svc; the admission
policy that guards the webhook configuration is bound and type-checks; the catalog in its
ConfigMap loads, with the image the Deployment passes the webhook for {{self.image}}.

Options:
  --kubeconfig FILE    the cluster (default: $KUBECONFIG or ~/.kube/config; in a Pod, its own)
  --namespace NAME     the webhook's namespace (default ${DEFAULT_NAMES.namespace})
  --webhook-configuration NAME
                       the MutatingWebhookConfiguration (default ${DEFAULT_NAMES.webhookConfiguration})
  --service NAME       the webhook's Service (default ${DEFAULT_NAMES.service})
  --deployment NAME    the webhook's Deployment (default ${DEFAULT_NAMES.deployment})
  --tls-secret NAME    the Secret with the serving certificate (default ${DEFAULT_NAMES.tlsSecret})
  --catalog-configmap NAME
                       the ConfigMap with catalog.yaml (default ${DEFAULT_NAMES.catalogConfigMap})
  --admission-policy NAME
                       the ValidatingAdmissionPolicy guarding the webhook configuration, and its
                       binding (default ${DEFAULT_NAMES.admissionPolicy})
${REQUEST_TIMEOUT_USAGE}
  -o, --output FORMAT  text (default) or json
  -h, --help           show this help

Exit status: 0 when every check passed, 1 when one failed, 2 on bad flags.`

interface CheckFlags {
  names: InstallNames
  kubeconfig: string | undefined
  output: 'text' | 'json'
  timeoutMs: number
}

/** Runs every check and prints them; exit code 1 if any failed. */
export async function check(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), CHECK_USAGE, io, (flags) => run(flags, io))
}

async function run(flags: CheckFlags, io: Io): Promise<number> {
  const kubeConfig = openKubeConfig(flags.kubeconfig)
  const results =
    'failed' in kubeConfig
      ? [kubeConfig.failed]
      : runChecks(await readInstall(kubeConfig.loaded, flags.names, flags.timeoutMs), flags.names, {
          now: new Date(),
          cliImage: selfImage(undefined, io.version),
        })
  const ok = results.every((result) => result.ok)
  if (flags.output === 'json') io.out(JSON.stringify({ ok, checks: results }, null, 2))
  else for (const result of results) io.out(line(result))
  return ok ? 0 : 1
}

// A kubeconfig that cannot be read is the first check failing, reported as the others are.
function openKubeConfig(
  file: string | undefined,
): { loaded: KubeConfig } | { failed: CheckResult } {
  try {
    return { loaded: loadKubeConfig(file === undefined ? {} : { kubeconfig: file }) }
  } catch (error) {
    const source =
      file !== undefined
        ? `${file} (--kubeconfig)`
        : process.env.KUBECONFIG
          ? `${process.env.KUBECONFIG} ($KUBECONFIG)`
          : '~/.kube/config'
    const reason = (error as Error).message.split('\n')[0] ?? ''
    // loadKubeConfig already names --kubeconfig and its file in what it throws.
    const message = reason.startsWith('--kubeconfig: ')
      ? reason
      : `cannot read the kubeconfig ${source}: ${reason}`
    return { failed: failed('api', message, 'name a readable kubeconfig with --kubeconfig FILE') }
  }
}

/** One check as a line: ✓ or ✗, its name, what was found, and for a failure what to do. */
export function line(result: CheckResult): string {
  if (result.ok) return `✓ ${result.check}: ${result.message}`
  return `✗ ${result.check}: ${result.message}; fix: ${result.fix}`
}

const NAME_FLAGS = {
  namespace: 'namespace',
  'webhook-configuration': 'webhookConfiguration',
  service: 'service',
  deployment: 'deployment',
  'tls-secret': 'tlsSecret',
  'catalog-configmap': 'catalogConfigMap',
  'admission-policy': 'admissionPolicy',
} as const satisfies Record<string, keyof InstallNames>

const OPTIONS = {
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'text' },
  ...REQUEST_TIMEOUT_OPTION,
  ...Object.fromEntries(Object.keys(NAME_FLAGS).map((flag) => [flag, { type: 'string' }])),
} as const

function parseFlags(args: readonly string[]): Parsed<CheckFlags> {
  return readFlags(args, OPTIONS, (values): Parsed<CheckFlags> => {
    const { names, errors } = readNames(values)
    const { kubeconfig } = values
    const output = parseOutput(values.output)
    const timeout = parseRequestTimeout(values['request-timeout'])
    errors.push(...[output, timeout].flatMap((parsed) => ('error' in parsed ? [parsed.error] : [])))
    if (kubeconfig === '') errors.push('--kubeconfig: empty')
    if ('error' in output || 'error' in timeout || errors.length > 0) return { ok: false, errors }
    return {
      ok: true,
      value: {
        names,
        kubeconfig: typeof kubeconfig === 'string' ? kubeconfig : undefined,
        output: output.output,
        timeoutMs: timeout.timeoutMs,
      },
    }
  })
}

// The object names, checked as the API server would check them before any request is sent.
function readNames(values: FlagValues): { names: InstallNames; errors: string[] } {
  const errors: string[] = []
  const names = { ...DEFAULT_NAMES }
  for (const [flag, field] of Object.entries(NAME_FLAGS)) {
    const value = values[flag]
    if (typeof value !== 'string') continue
    const pattern = flag === 'namespace' || flag === 'service' ? DNS_LABEL : DNS_SUBDOMAIN
    if (pattern.test(value)) names[field] = value
    else errors.push(`--${flag}: "${value}" is not a Kubernetes object name`)
  }
  return { names: Object.freeze(names), errors }
}
