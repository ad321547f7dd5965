// Proxies chain in front of one app port: client -> first proxy -> ... -> last proxy -> app.
// Each proxy forwards to the next one's listen port, and the last one to the app.
import { paramAnnotation } from './annotations.ts'
import { declaredPorts, inferAppPort } from './app-port.ts'
import type { Container } from './pod.ts'
import type { Problem } from './problems.ts'
import { inferProtocol, type KnownProtocol } from './protocol.ts'
import type { ConfiguredSidecar } from './sidecar.ts'

export type Chain =
  | {
      ok: true
      appPort: number | undefined
      /** Where the app port came from: the annotation that set it, or what it was inferred from. */
      appPortFrom: string | undefined
      upstreams: ReadonlyMap<string, number>
      /** What the app port speaks; undefined when there is no proxy. */
      protocol: KnownProtocol | undefined
      /** Said when the app port was inferred rather than given, so the user knows which. */
      warnings: string[]
    }
  | {
      ok: false
      problems: Problem[]
      /** Set when no proxy was given a port and none could be inferred: why, for a warning. */
      uninferred?: string
    }

/**
 * Resolves the app port every proxy fronts and where each proxy forwards; `defaultContainer`
 * is the Pod's kubectl.kubernetes.io/default-container, which inference prefers, and `chained`
 * the proxies an earlier call injected.
 */
export function planChain(
  sidecars: readonly ConfiguredSidecar[],
  app: readonly Container[],
  defaultContainer?: string,
  chained: readonly ChainedProxy[] = [],
): Chain {
  const proxies = chainOf(sidecars)
  if (proxies.length === 0)
    return {
      ok: true,
      appPort: undefined,
      appPortFrom: undefined,
      upstreams: new Map(),
      protocol: undefined,
      warnings: [],
    }
  // Proxies an earlier call injected front the same app port: their settings (a port or protocol
  // the Pod gave them) say which port and protocol that is, as they did on that call.
  const fronting = [...proxies, ...chained].sort((a, b) => a.order - b.order)
  const first = fronting[0] as ChainedProxy
  const resolved = fronting.some((p) => p.appPort !== undefined)
    ? resolveAppPort(fronting, app)
    : inferred(first, app, defaultContainer)
  if (!resolved.ok) return resolved
  const protocol = resolveProtocol(fronting, app, resolved.port)
  if (!protocol.ok) return protocol
  return {
    ok: true,
    appPort: resolved.port,
    appPortFrom: resolved.from,
    upstreams: upstreamsOf(proxies, resolved.port),
    protocol: protocol.known,
    warnings: [...resolved.warnings, ...protocol.warnings],
  }
}

/** Where each proxy forwards: to the next one's listen port, the last one to `appPort`. */
export function upstreamsOf(
  proxies: readonly ChainedProxy[],
  appPort: number,
): ReadonlyMap<string, number> {
  return new Map(proxies.map((proxy, i) => [proxy.name, proxies[i + 1]?.listen.port ?? appPort]))
}

type ResolvedProtocol =
  | { ok: true; known: KnownProtocol; warnings: string[] }
  | { ok: false; problems: Problem[] }

// A protocol the Pod sets is a statement about the app port, so chained proxies must agree; else
// it is read from the Pod (src/injection/protocol.ts), and said where it is not HTTP/1.1.
function resolveProtocol(
  proxies: readonly ChainedProxy[],
  app: readonly Container[],
  port: number,
): ResolvedProtocol {
  const explicit = proxies.flatMap(({ name, protocol, protocolParam }) =>
    protocol && protocolParam
      ? [{ protocol, annotation: paramAnnotation(name, protocolParam) }]
      : [],
  )
  const [head, ...rest] = explicit
  if (head) {
    const problems = rest
      .filter((other) => other.protocol !== head.protocol)
      .map(({ protocol, annotation }) => ({
        annotation,
        message: `${protocol} differs from ${head.annotation} (${head.protocol}); chained proxies front one app port`,
      }))
    if (problems.length) return { ok: false, problems }
    const known = { protocol: head.protocol, source: head.annotation, assumed: false }
    return { ok: true, known, warnings: [] }
  }
  const known = inferProtocol(app, port)
  const said = !known.assumed && known.protocol !== 'http'
  const warnings = proxies.flatMap(({ name, protocolParam }) =>
    said && protocolParam
      ? [
          `${paramAnnotation(name, protocolParam)}: not set; ${known.source}: proxied as ${known.protocol}`,
        ]
      : [],
  )
  return { ok: true, known, warnings }
}

/** A proxy of the chain: its `proxy` settings and its name. */
export type ChainedProxy = NonNullable<ConfiguredSidecar['proxy']> & { name: string }

/** The proxies among `sidecars`, outermost first. */
export function chainOf(sidecars: readonly ConfiguredSidecar[]): ChainedProxy[] {
  return sidecars
    .flatMap((s) => (s.proxy ? [{ name: s.name, ...s.proxy }] : []))
    .sort((a, b) => a.order - b.order)
}

type Resolved =
  | { ok: true; port: number; from: string; warnings: string[] }
  | { ok: false; problems: Problem[]; uninferred?: string }

// No proxy was given a port: the one the app containers leave no doubt about (app-port.ts).
function inferred(
  first: ChainedProxy,
  app: readonly Container[],
  defaultContainer?: string,
): Resolved {
  const annotation = paramAnnotation(first.name, first.appPortParam)
  const found = inferAppPort(app, defaultContainer)
  if (found.ok) {
    const warning = `${annotation}: not set; inferred app port ${found.port} from ${found.source}`
    return {
      ok: true,
      port: found.port,
      from: `inferred from ${found.source}`,
      warnings: [warning],
    }
  }
  const message = `needed: ${found.reason}, so the app port cannot be inferred`
  return { ok: false, problems: [{ annotation, message }], uninferred: found.reason }
}

function resolveAppPort(proxies: readonly ChainedProxy[], app: readonly Container[]): Resolved {
  const explicit = proxies.filter((p) => p.appPort !== undefined)
  const problems: Problem[] = []
  const ports = explicit.map((proxy) => {
    const annotation = paramAnnotation(proxy.name, proxy.appPortParam)
    const found = lookUpPort(proxy.appPort, app)
    if (!found.ok) problems.push({ annotation, message: found.error })
    return { annotation, port: found.ok ? found.port : undefined }
  })
  const [head, ...rest] = ports
  for (const other of rest) {
    if (head?.port !== undefined && other.port !== undefined && other.port !== head.port) {
      const message = `${other.port} differs from ${head.annotation} (${head.port}); chained proxies front one app port`
      problems.push({ annotation: other.annotation, message })
    }
  }
  return problems.length || head?.port === undefined
    ? { ok: false, problems }
    : { ok: true, port: head.port, from: head.annotation, warnings: [] }
}

type Lookup = { ok: true; port: number | undefined } | { ok: false; error: string }

// A name must stand for one port number: two containers may give one name to different ports.
function lookUpPort(ref: number | string | undefined, app: readonly Container[]): Lookup {
  if (typeof ref !== 'string') return { ok: true, port: ref }
  const named = declaredPorts(app).filter((p) => p.name === ref)
  const numbers = [...new Set(named.map((p) => p.containerPort))]
  if (numbers.length === 1) return { ok: true, port: numbers[0] }
  const error = numbers.length
    ? `app containers declare the port "${ref}" as ${numbers.join(' and ')}; give the number`
    : `no app container declares a port named "${ref}"`
  return { ok: false, error }
}
