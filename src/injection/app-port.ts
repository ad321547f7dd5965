// Which port the app serves on, when the Pod does not say: read from what the app containers
// declare, only where the answer leaves no doubt. Every step is one pass over containers and
// ports (a Set for distinct numbers, a per-container name map for probes), so a large or hostile
// Pod costs time linear in its size.
import type { Container, ContainerPort } from './pod.ts'

/** kubectl's annotation for a Pod's main container (kubectl logs, exec, attach). */
export const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container'

export type Inferred =
  | {
      ok: true
      port: number
      /** What the port was read from, for the warning: "the only declared port", ... */
      source: string
    }
  | {
      ok: false
      /** Why nothing was inferred: "the app declares no TCP port", "... declares ports 80, 90". */
      reason: string
    }

/**
 * Infers the app port from the app containers, or from the one `defaultContainer` names when it
 * offers any port; in order: the only port number declared, the only one named `http` or
 * `http-*`, the only one that httpGet readiness and liveness probes use.
 */
export function inferAppPort(app: readonly Container[], defaultContainer?: string): Inferred {
  const main =
    defaultContainer === undefined ? undefined : app.find((c) => c.name === defaultContainer)
  // The container the Pod calls its main one decides, unless it offers no port at all (a main
  // worker beside a web server); its ambiguity is never settled with another container's port.
  if (main !== undefined) {
    const own = inferFrom([main])
    const named = `container ${main.name}, which ${DEFAULT_CONTAINER} names`
    if (own.ok) return { ok: true, port: own.port, source: `${own.what} of ${named}` }
    if (own.offered) return { ok: false, reason: `${named}, declares ${own.declared}` }
  }
  const all = inferFrom(app)
  if (!all.ok) return { ok: false, reason: `the app declares ${all.declared}` }
  const of = all.container === undefined ? '' : ` of container ${all.container}`
  return { ok: true, port: all.port, source: `${all.what}${of}` }
}

type Candidates =
  | { ok: true; port: number; what: string; container?: string }
  | { ok: false; declared: string; offered: boolean }

function inferFrom(containers: readonly Container[]): Candidates {
  const declared = containers.flatMap(tcpPorts)
  const numbers = distinct(declared.map((p) => p.containerPort))
  const [only] = numbers
  if (numbers.length === 1 && only !== undefined)
    return { ok: true, port: only, what: 'the only declared port' }
  const http = declared.filter((p) => isHttpName(p.name))
  const [named] = http
  if (named !== undefined && distinct(http.map((p) => p.containerPort)).length === 1)
    return { ok: true, port: named.containerPort, what: `the port named ${named.name}` }
  const probed = containers.flatMap(probePorts)
  const [probe] = probed
  if (probe !== undefined && distinct(probed.map((p) => p.port)).length === 1) {
    const { port, kind, container } = probe
    return { ok: true, port, what: `the ${kind} probe`, container }
  }
  return { ok: false, declared: describe(numbers), offered: numbers.length + probed.length > 0 }
}

// Few enough to read in a warning, which the API server may cut after 256 characters.
const LISTED = 4

function describe(numbers: readonly number[]): string {
  if (numbers.length === 0) return 'no TCP port'
  const more = numbers.length > LISTED ? ` and ${numbers.length - LISTED} more` : ''
  return `ports ${numbers.slice(0, LISTED).join(', ')}${more}`
}

/** The TCP ports the app containers declare, in order. */
export function declaredPorts(app: readonly Container[]): ContainerPort[] {
  return app.flatMap(tcpPorts)
}

function tcpPorts(container: Container): ContainerPort[] {
  return (container.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP')
}

// `http`, or `http-` and more: a port name is at most 15 characters (IANA_SVC_NAME), which the
// API server enforces after admission; a longer name is not trusted into a warning.
const HTTP_NAME = /^http(-[a-z0-9-]{1,10})?$/

function isHttpName(name: string | undefined): boolean {
  return HTTP_NAME.test(name ?? '')
}

const PROBES = [
  ['readiness', 'readinessProbe'],
  ['liveness', 'livenessProbe'],
] as const

interface ProbePort {
  port: number
  kind: (typeof PROBES)[number][0]
  container: string
}

// Probes are not part of the checked Pod shape (src/injection/pod-shape.ts): read defensively. A
// named probe port is resolved through the container's own ports, as the kubelet does; a name it
// does not declare, or a number out of range, says nothing.
function probePorts(container: Container): ProbePort[] {
  return PROBES.flatMap(([kind, field]) => {
    const port = httpGetPortOf(container, container[field])
    return port === undefined ? [] : [{ port, kind, container: container.name }]
  })
}

/** The port number a probe's httpGet reaches in `container`: a number, or one of its port names. */
export function httpGetPortOf(container: Container, probe: unknown): number | undefined {
  const port = httpGetPort(probe)
  if (typeof port !== 'string') return port
  return tcpPorts(container).find((p) => p.name === port)?.containerPort
}

function httpGetPort(probe: unknown): number | string | undefined {
  const httpGet = isObject(probe) ? probe.httpGet : undefined
  const port = isObject(httpGet) ? httpGet.port : undefined
  if (typeof port === 'string') return port
  const valid = typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
  return valid ? port : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function distinct(numbers: readonly number[]): number[] {
  return [...new Set(numbers)]
}
