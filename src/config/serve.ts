// `sidecar-patterns serve` options: parsed once from the command line, every error reported with
// the flag it concerns, then frozen. Nothing else reads flags. The environment is read only to
// find the cluster: KUBERNETES_SERVICE_HOST says "in a Pod" (cli/serve.ts, kube/config.ts), and
// outside one client-node reads $KUBECONFIG.
import { DNS_LABEL, DNS_SUBDOMAIN } from '../kube/names.ts'
import { DURATION_EXAMPLES, durationError, parseDuration } from '../shared/duration.ts'
import { type FlagValues, type Parsed, readFlags } from '../shared/flags.ts'
import {
  LOG_LEVEL_HELP,
  LOG_LEVEL_OPTION,
  type LogLevel,
  parseLogLevel,
} from '../shared/log-levels.ts'

export interface ServeConfig {
  host: string
  port: number
  /** generate: certs/ on disk, made on first start; files: mounted files, reloaded on change
   *  (cert-manager); secret: a Secret the webhook creates, renews and puts in its caBundle. */
  tlsMode: TlsMode
  certDir: string
  tlsSecret: string
  webhookConfiguration: string
  /** The webhook's Service and namespace, for the certificate's in-cluster names. */
  service: string
  namespace: string
  /** This project's image, which the metrics sidecar runs; undefined means this version's release. */
  image: string | undefined
  /** The catalog file; undefined means the built-in catalog only. */
  config: string | undefined
  /** A kubeconfig file for reading namespaces off a cluster; in a Pod the in-cluster config is used. */
  kubeconfig: string | undefined
  /** Plain-HTTP port for /metrics; 0 picks a free one. */
  metricsPort: number
  /** Milliseconds between readiness turning false and the listener closing, on SIGTERM. */
  shutdownDelayMs: number
  logLevel: LogLevel
}

export const TLS_MODES = ['generate', 'files', 'secret'] as const
export type TlsMode = (typeof TLS_MODES)[number]

export const SERVE_USAGE = `Usage: sidecar-patterns serve [options]

Serves the mutating admission webhook over HTTPS (POST /mutate, GET /healthz, GET /readyz).

Options:
  --port N             port to listen on (default 8443; 0 picks a free one)
  --host ADDRESS       address to listen on (default 0.0.0.0)
  --tls-mode MODE      generate: tls.crt, tls.key, ca.crt in --cert-dir, generated on first
                       start (default); files: read from --cert-dir and reloaded when they
                       change (cert-manager); secret: kept in a Secret that the webhook creates
                       and renews, with its CA in the webhook configuration's caBundle
  --cert-dir DIR       certificate files for generate and files (default ./certs)
  --tls-secret NAME    the Secret for --tls-mode secret (default sidecar-patterns-tls)
  --webhook-configuration NAME
                       the MutatingWebhookConfiguration whose caBundle --tls-mode secret keeps
                       (default sidecar-patterns)
  --service NAME       the webhook's Service name, for the certificate (default sidecar-patterns)
  --namespace NAME     the webhook's namespace, for the certificate (default sidecar-patterns)
  --config FILE        catalog file: sidecars and policies added to the built-in ones; reloaded
                       when it changes (default: the built-in catalog only)
  --kubeconfig FILE    read namespaces through this kubeconfig (default: in-cluster when run in
                       a Pod, otherwise namespaces are not read)
  --image REF          this project's image, run by the metrics sidecar
                       (default this version's release image)
  --metrics-port N     plain-HTTP port serving /metrics (default 9090)
  --shutdown-delay TIME
                       on SIGTERM, how long to keep answering, not ready, before closing
                       (default 5s: time for endpoints to drop this Pod; at most 1m)
  --log-level LEVEL    ${LOG_LEVEL_HELP}
  -h, --help           show this help

TIME is a duration such as ${DURATION_EXAMPLES}.`

export type { Parsed } from '../shared/flags.ts'

// Inside the kubelet's default 30 s termination grace period, with room for closing after it.
const MAX_SHUTDOWN_DELAY_MS = 60_000

const OPTIONS = {
  port: { type: 'string', default: '8443' },
  host: { type: 'string', default: '0.0.0.0' },
  'cert-dir': { type: 'string', default: 'certs' },
  service: { type: 'string', default: 'sidecar-patterns' },
  namespace: { type: 'string', default: 'sidecar-patterns' },
  image: { type: 'string' },
  config: { type: 'string' },
  kubeconfig: { type: 'string' },
  'metrics-port': { type: 'string', default: '9090' },
  'shutdown-delay': { type: 'string', default: '5s' },
  ...LOG_LEVEL_OPTION,
  'tls-mode': { type: 'string', default: 'generate' },
  'tls-secret': { type: 'string', default: 'sidecar-patterns-tls' },
  'webhook-configuration': { type: 'string', default: 'sidecar-patterns' },
} as const

/** Parses `serve` arguments into a frozen configuration, or every error found. */
export function parseServeArgs(args: readonly string[]): Parsed<Readonly<ServeConfig>> {
  return readFlags(args, OPTIONS, validate)
}

function validate(values: FlagValues): Parsed<Readonly<ServeConfig>> {
  const check = checker(values)
  const port = check.number('port', 65535, 'a port (0-65535)')
  const metricsPort = check.number('metrics-port', 65535, 'a port (0-65535)')
  const shutdownDelayMs = check.duration('shutdown-delay', MAX_SHUTDOWN_DELAY_MS)
  const tlsMode = check.oneOf('tls-mode', TLS_MODES)
  const logLevel = check.logLevel()
  check.matches(['service', 'namespace'], DNS_LABEL, 'a DNS-1123 label')
  check.matches(['tls-secret', 'webhook-configuration'], DNS_SUBDOMAIN, 'a Kubernetes object name')
  check.notEmpty(['host', 'cert-dir', 'image', 'config', 'kubeconfig'])
  if (check.errors.length || !logLevel || !tlsMode) return { ok: false, errors: check.errors }
  const { text, optional } = check
  return {
    ok: true,
    value: Object.freeze({
      host: text('host'),
      port,
      tlsMode,
      certDir: text('cert-dir'),
      tlsSecret: text('tls-secret'),
      webhookConfiguration: text('webhook-configuration'),
      service: text('service'),
      namespace: text('namespace'),
      image: optional('image'),
      config: optional('config'),
      kubeconfig: optional('kubeconfig'),
      metricsPort,
      shutdownDelayMs,
      logLevel,
    }),
  }
}

// Reads flags by name, collecting one error per bad flag, so that all are reported at once.
function checker(values: FlagValues) {
  const errors: string[] = []
  const text = (name: string) => String(values[name] ?? '')
  return {
    errors,
    text,
    optional: (name: string) => (values[name] === undefined ? undefined : text(name)),
    number(name: string, max: number, what: string): number {
      const n = Number(text(name))
      if (!/^\d+$/.test(text(name)) || n > max)
        errors.push(`--${name}: "${text(name)}" is not ${what}`)
      return n
    },
    duration(name: string, max: number): number {
      const error = durationError(text(name), 0, max)
      if (error) errors.push(`--${name}: ${error}`)
      return parseDuration(text(name)) ?? 0
    },
    logLevel(): LogLevel | undefined {
      const parsed = parseLogLevel(values['log-level'])
      if ('error' in parsed) errors.push(`--log-level: ${parsed.error}`)
      return 'level' in parsed ? parsed.level : undefined
    },
    oneOf<const T extends string>(name: string, allowed: readonly T[]): T | undefined {
      const found = allowed.find((value) => value === text(name))
      if (!found) errors.push(`--${name}: "${text(name)}" is not one of ${allowed.join(', ')}`)
      return found
    },
    matches(names: string[], pattern: RegExp, what: string): void {
      for (const name of names.filter((n) => !pattern.test(text(n))))
        errors.push(`--${name}: "${text(name)}" is not ${what}`)
    },
    notEmpty(names: string[]): void {
      for (const name of names.filter((n) => values[n] === ''))
        errors.push(`--${name}: must not be empty`)
    },
  }
}
