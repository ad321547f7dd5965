// A Service whose targetPort is a name finds each Pod's endpoint by that name: in the regular
// containers first, then in the native sidecars (kubernetes/kubernetes
// staging/src/k8s.io/endpointslice/utils.go, FindPort). So when the app port a proxy fronts is
// named, the outermost proxy takes the name over: the app's port is renamed, the proxy's
// listening port gets the name, and every probe and lifecycle handler of the app that used the
// name uses the number instead. A Service that targeted the app by name then reaches the proxy,
// and nothing else changes. Where the port has no name, a Service targets a number, which still
// reaches the app: the answer says so, since the webhook cannot see Services.
//
// What was renamed is recorded in `patterns/port-takeover`, so that a later call recognises the
// rename as ours (src/injection/evidence.ts) and it can be reversed exactly.
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { quote } from '../shared/quote.ts'
import type { Container, Pod } from './pod.ts'

/** Written by the webhook: the port name a proxy took over, as JSON (Takeover). */
export const PORT_TAKEOVER = 'patterns/port-takeover'

const Name = Type.String({ maxLength: 15 })
// The record names every app container that declares the port, however many the Pod has: its
// size is bounded by the text's, checked before it is parsed.
const TakeoverRecord = Type.Object(
  {
    sidecar: Type.String({ maxLength: 63 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    name: Name,
    renamed: Name,
    containers: Type.Array(Type.String({ maxLength: 253 })),
    handlers: Type.Array(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
)
// All of a Pod's annotations together may hold no more (k8s.io/apimachinery
// pkg/api/validation/objectmeta.go, TotalAnnotationSizeLimitB), so no record of ours is longer.
const MAX_RECORD = 256 * 1024
const checkRecord = Compile(TakeoverRecord)

/** A port name taken over, with what it takes to reverse it. */
export interface Takeover {
  /** The proxy whose listening port has the name now. */
  sidecar: string
  /** The app port's number, and its name before. */
  port: number
  name: string
  /** The app port's name now. */
  renamed: string
  /** The app containers whose port was renamed. */
  containers: string[]
  /** Their handlers that used the name and now use the number: `web/readinessProbe/httpGet`. */
  handlers: string[]
}

/** The outermost proxy of the chain: its name, and the port (and port name) it listens on. */
export interface Front {
  sidecar: string
  port: number
  portName: string | undefined
  /** The names of its other ports, which the name taken over must not repeat. */
  otherNames: readonly string[]
}

/** The takeover to do, if the app port has one name to take; and what to tell the Pod's author. */
export function planTakeover(
  pod: Pod,
  app: readonly Container[],
  appPort: number,
  front: Front,
): { takeover?: Takeover; warnings: string[] } {
  const declaring = app.filter((c) => ownPort(c, appPort) !== undefined)
  const names = [...new Set(declaring.map((c) => ownPort(c, appPort)?.name ?? ''))]
  const [name] = names
  const target = front.portName ?? String(front.port)
  if (name === undefined || name === '' || names.length > 1) {
    // Names the API server has not checked yet: quoted, cut short, and no more than two.
    const listed = names.slice(0, 2).map((n) => quote(n || '(none)'))
    const described = names.length > 1 ? `has several names (${listed.join(', ')})` : 'has no name'
    const hint = `app port ${appPort} ${described}: a Service reaches ${front.sidecar} only with targetPort ${target}, not ${appPort}`
    return { warnings: [hint] }
  }
  if (!isPortName(name) || front.otherNames.includes(name)) return { warnings: [] }
  const own = new Set(app.map((c) => c.name))
  const other = allContainers(pod).find((c) => !own.has(c.name) && hasPortNamed(c, name))
  if (other)
    return {
      warnings: [
        `port name ${name} is also container ${quote(other.name)}'s: a Service reaches ${front.sidecar} only with targetPort ${target}`,
      ],
    }
  const renamed = freeName(name, pod)
  if (renamed === undefined) return { warnings: [] }
  const takeover = {
    sidecar: front.sidecar,
    port: appPort,
    name,
    renamed,
    containers: declaring.map((c) => c.name),
    handlers: declaring.flatMap((c) => handlersUsing(c, name).map((h) => `${c.name}/${h.path}`)),
  }
  const said = `${front.sidecar} takes over port name ${name}, so Services that target it reach ${front.sidecar} (${front.port}); the app's port ${appPort} is renamed ${renamed}, and a targetPort ${appPort} still reaches the app`
  return { takeover, warnings: [said] }
}

/** Renames the app port in the containers the takeover names, which the caller owns (copies). */
export function applyTakeover(containers: readonly Container[], takeover: Takeover): void {
  const { name, renamed, port } = takeover
  for (const container of containers) {
    if (!takeover.containers.includes(container.name) || !container.ports) continue
    container.ports = container.ports.map((p) =>
      p.name === name && p.containerPort === port ? { ...p, name: renamed } : p,
    )
    for (const handler of handlersUsing(container, name)) handler.set(port)
  }
}

/** The app containers as they were before the takeover: what the chain was planned on. */
export function restoreNames(containers: readonly Container[], takeover: Takeover): Container[] {
  const { name, renamed, port } = takeover
  return containers.map((c) =>
    takeover.containers.includes(c.name) && c.ports
      ? {
          ...c,
          ports: c.ports.map((p) =>
            p.name === renamed && p.containerPort === port ? { ...p, name } : p,
          ),
        }
      : c,
  )
}

/** A takeover's marks in one app container: its renamed port, and the handlers it set. */
export interface Marks {
  container: Container
  /** The index of the renamed port in the container's ports. */
  port: number
  /** The handlers the record lists that use the number still: `readinessProbe/httpGet`. */
  handlers: string[]
}

// A handler that uses the number but is not in the record was written so by the Pod's author.
// The record's lists are looked up, not searched: their length is the Pod author's to choose.
/** Where the app containers hold what the takeover changed, to reverse it. */
export function marksOf(app: readonly Container[], takeover: Takeover): Marks[] {
  const { renamed, port } = takeover
  const named = new Set(takeover.containers)
  const listed = new Set(takeover.handlers)
  return app.flatMap((container) => {
    if (!named.has(container.name)) return []
    const index = (container.ports ?? []).findIndex(
      (p) => p.name === renamed && p.containerPort === port,
    )
    if (index === -1) return []
    const handlers = handlersUsing(container, port)
      .map((h) => h.path)
      .filter((path) => listed.has(`${container.name}/${path}`))
    return [{ container, port: index, handlers }]
  })
}

/** Whether the Pod holds the rename the record states: each container it names has the port renamed. */
export function isBorneOut(app: readonly Container[], takeover: Takeover): boolean {
  const { renamed, port, name } = takeover
  // By name once (the first of a name, as a search would find it): a record is the Pod author's
  // text, and may list many names.
  const byName = new Map([...app].reverse().map((c) => [c.name, c]))
  return takeover.containers.every((named) => {
    const container = byName.get(named)
    return (
      container !== undefined &&
      (container.ports ?? []).some((p) => p.name === renamed && p.containerPort === port) &&
      !hasPortNamed(container, name)
    )
  })
}

/** The record in the Pod's annotations: absent, or valid, or not readable as one. */
export function readTakeover(
  annotations: Readonly<Record<string, string>>,
): { ok: true; takeover: Takeover | undefined } | { ok: false } {
  const text = annotations[PORT_TAKEOVER]
  if (text === undefined) return { ok: true, takeover: undefined }
  if (text.length > MAX_RECORD) return { ok: false }
  try {
    const value: unknown = JSON.parse(text)
    return checkRecord.Check(value) ? { ok: true, takeover: value } : { ok: false }
  } catch {
    return { ok: false }
  }
}

// A valid port name (k8s.io/apimachinery validation IsValidPortName): at most 15 characters of
// a-z, 0-9 and '-', at least one letter, no '--', no '-' at either end.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9](?:[a-z0-9]|-(?!-))*$/

function isPortName(name: string): boolean {
  return name.length <= 15 && PORT_NAME.test(name) && !name.endsWith('-')
}

// `<name>-app`, cut to fit, which keeps the protocol prefix Istio reads (`http-app`); then
// `-app2` ... `-app9` if the Pod has that name already.
function freeName(name: string, pod: Pod): string | undefined {
  const taken = new Set(allContainers(pod).flatMap((c) => (c.ports ?? []).map((p) => p.name)))
  for (const suffix of ['-app', '-app2', '-app3', '-app4', '-app5', '-app6', '-app7', '-app8']) {
    const stem = name.slice(0, 15 - suffix.length).replace(/-+$/, '')
    const candidate = `${stem}${suffix}`
    if (!taken.has(candidate) && isPortName(candidate)) return candidate
  }
  return undefined
}

function allContainers(pod: Pod): Container[] {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]
}

function ownPort(container: Container, port: number) {
  return (container.ports ?? []).find(
    (p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP',
  )
}

function hasPortNamed(container: Container, name: string): boolean {
  return (container.ports ?? []).some((p) => p.name === name)
}

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const
const HOOKS = ['postStart', 'preStop'] as const
const ACTIONS = ['httpGet', 'tcpSocket'] as const

interface Handler {
  path: string
  set(port: number): void
}

// The handlers of a container whose port is `port`, a name or a number: probes and lifecycle
// hooks, HTTP or TCP (a gRPC probe takes a number only). Probes and hooks are not part of the
// checked Pod shape (src/injection/pod-shape.ts), so they are read defensively; `set` replaces
// the handler in the container, copying what it changes.
function handlersUsing(container: Container, port: string | number): Handler[] {
  const found: Handler[] = []
  const visit = (
    owner: Record<string, unknown>,
    key: string,
    path: string,
    replace: (next: unknown) => void,
  ) => {
    const handler = asObject(owner[key])
    if (handler === undefined) return
    for (const action of ACTIONS) {
      const target = asObject(handler[action])
      if (target?.port !== port) continue
      found.push({
        path: `${path}/${action}`,
        set: (next) => replace({ ...handler, [action]: { ...target, port: next } }),
      })
    }
  }
  for (const probe of PROBES)
    visit(container, probe, probe, (next) => {
      container[probe] = next
    })
  const lifecycle = asObject(container.lifecycle)
  if (lifecycle)
    for (const hook of HOOKS)
      visit(lifecycle, hook, `lifecycle/${hook}`, (next) => {
        container.lifecycle = { ...asObject(container.lifecycle), [hook]: next }
      })
  return found
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}
