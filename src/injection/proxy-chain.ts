// Proxies chain in front of one app port: client -> first proxy -> ... -> last proxy -> app.
// Each proxy forwards to the next one's listen port, and the last one to the app.
import { paramAnnotation } from './annotations.ts'
import type { Container } from './pod.ts'
import type { Problem } from './problems.ts'
import type { ConfiguredSidecar } from './sidecar.ts'

export type Chain =
  | {
      ok: true
      appPort: number | undefined
      upstreams: ReadonlyMap<string, number>
      /** Said when the app port was inferred rather than given, so the user knows which. */
      warnings: string[]
    }
  | { ok: false; problems: Problem[] }

/** Resolves the app port every proxy fronts and where each proxy forwards. */
export function planChain(
  sidecars: readonly ConfiguredSidecar[],
  app: readonly Container[],
): Chain {
  const proxies = sidecars
    .flatMap((s) => (s.proxy ? [{ name: s.name, ...s.proxy }] : []))
    .sort((a, b) => a.order - b.order)
  const first = proxies[0]
  if (first === undefined)
    return { ok: true, appPort: undefined, upstreams: new Map(), warnings: [] }
  const resolved = resolveAppPort(proxies, app)
  if (!resolved.ok) return resolved
  const upstreams = new Map(
    proxies.map((proxy, i) => [proxy.name, proxies[i + 1]?.listen.port ?? resolved.port]),
  )
  const warnings = proxies.every((p) => p.appPort === undefined)
    ? [
        `${paramAnnotation(first.name, first.appPortParam)}: not set; inferred app port ${resolved.port}`,
      ]
    : []
  return { ok: true, appPort: resolved.port, upstreams, warnings }
}

interface Proxy {
  name: string
  appPort: number | string | undefined
  appPortParam: string
}

type Resolved = { ok: true; port: number } | { ok: false; problems: Problem[] }

function resolveAppPort(proxies: readonly Proxy[], app: readonly Container[]): Resolved {
  const explicit = proxies.filter((p) => p.appPort !== undefined)
  if (explicit.length === 0) return inferAppPort(proxies, app)
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
    : { ok: true, port: head.port }
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

function inferAppPort(proxies: readonly Proxy[], app: readonly Container[]): Resolved {
  const declared = declaredPorts(app)
  const numbers = [...new Set(declared.map((p) => p.containerPort))]
  const named = declared.filter((p) => p.name === 'http')
  const port =
    numbers.length === 1 ? numbers[0] : named.length === 1 ? named[0]?.containerPort : undefined
  if (port !== undefined) return { ok: true, port }
  const [first] = proxies
  const annotation = paramAnnotation(first?.name ?? '', first?.appPortParam ?? '')
  const seen = numbers.length
    ? `the app declares ports ${numbers.join(', ')}`
    : 'the app declares no TCP port'
  return {
    ok: false,
    problems: [{ annotation, message: `needed: ${seen}, so the app port cannot be inferred` }],
  }
}

function declaredPorts(app: readonly Container[]) {
  return app.flatMap((c) => c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP')
}
