// `sidecar-patterns serve` options: parsed once from the command line, every error reported with
// the flag it concerns, then frozen. Nothing else reads flags or the environment.
import { parseArgs } from 'node:util'

export interface ServeConfig {
  host: string
  port: number
  certDir: string
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
  /** Seconds between readiness turning false and the listener closing, on SIGTERM. */
  shutdownDelay: number
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
}

export const SERVE_USAGE = `Usage: sidecar-patterns serve [options]

Serves the mutating admission webhook over HTTPS (POST /mutate, GET /healthz, GET /readyz).

Options:
  --port N             port to listen on (default 8443; 0 picks a free one)
  --host ADDRESS       address to listen on (default 0.0.0.0)
  --cert-dir DIR       where tls.crt, tls.key and ca.crt are read, or generated on first start
                       (default ./certs)
  --service NAME       the webhook's Service name, for the certificate (default sidecar-patterns)
  --namespace NAME     the webhook's namespace, for the certificate (default sidecar-patterns)
  --config FILE        catalog file: sidecars and policies added to the built-in ones; reloaded
                       when it changes (default: the built-in catalog only)
  --kubeconfig FILE    read namespaces through this kubeconfig (default: in-cluster when run in
                       a Pod, otherwise namespaces are not read)
  --image REF          this project's image, run by the metrics sidecar
                       (default this version's release image)
  --metrics-port N     plain-HTTP port serving /metrics (default 9090)
  --shutdown-delay S   on SIGTERM, seconds to keep answering, not ready, before closing
                       (default 5: time for endpoints to drop this Pod)
  --log-level LEVEL    fatal, error, warn, info, debug or trace (default info)
  -h, --help           show this help`

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] } | { ok: 'help' }

/** Parses `serve` arguments into a frozen configuration, or every error found. */
export function parseServeArgs(args: readonly string[]): Parsed<Readonly<ServeConfig>> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string', default: '8443' },
        host: { type: 'string', default: '0.0.0.0' },
        'cert-dir': { type: 'string', default: 'certs' },
        service: { type: 'string', default: 'sidecar-patterns' },
        namespace: { type: 'string', default: 'sidecar-patterns' },
        image: { type: 'string' },
        config: { type: 'string' },
        kubeconfig: { type: 'string' },
        'metrics-port': { type: 'string', default: '9090' },
        'shutdown-delay': { type: 'string', default: '5' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] }
  }
  if (values.help) return { ok: 'help' }
  return validate(values)
}

function validate(
  values: Record<string, string | boolean | undefined>,
): Parsed<Readonly<ServeConfig>> {
  const text = (name: string) => String(values[name] ?? '')
  const errors: string[] = []
  const number = (name: string, max: number, what: string) => {
    const n = Number(text(name))
    if (!/^\d+$/.test(text(name)) || n > max)
      errors.push(`--${name}: "${text(name)}" is not ${what}`)
    return n
  }
  const port = number('port', 65535, 'a port (0-65535)')
  const metricsPort = number('metrics-port', 65535, 'a port (0-65535)')
  const shutdownDelay = number('shutdown-delay', 60, 'a number of seconds (0-60)')
  for (const name of ['service', 'namespace']) {
    if (!DNS_LABEL.test(text(name)))
      errors.push(`--${name}: "${text(name)}" is not a DNS-1123 label`)
  }
  const logLevel = LOG_LEVELS.find((level) => level === text('log-level'))
  if (!logLevel)
    errors.push(`--log-level: "${text('log-level')}" is not one of ${LOG_LEVELS.join(', ')}`)
  for (const name of ['host', 'cert-dir', 'image', 'config', 'kubeconfig']) {
    if (values[name] === '') errors.push(`--${name}: must not be empty`)
  }
  if (errors.length || !logLevel) return { ok: false, errors }
  const optional = (name: string) => (values[name] === undefined ? undefined : text(name))
  return {
    ok: true,
    value: Object.freeze({
      host: text('host'),
      port,
      certDir: text('cert-dir'),
      service: text('service'),
      namespace: text('namespace'),
      image: optional('image'),
      config: optional('config'),
      kubeconfig: optional('kubeconfig'),
      metricsPort,
      shutdownDelay,
      logLevel,
    }),
  }
}
