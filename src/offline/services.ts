// Services in the same inputs as an injected Pod template, whose traffic would go past the proxy
// in front of the app port: `inject --retarget-services` re-points them at the proxy; otherwise
// each is named on standard error, since nothing else would say why the meter sees no traffic.
//
// Which port a Service's targetPort reaches is the EndpointSlice controller's rule
// (src/apiserver/find-port.ts, the tests' oracle too). It is evaluated on the injected Pod, so a
// name the injection handed over to a proxy already reaches the proxy and needs nothing. How
// Services are found and read here serves uninject's inverse too (restore-services.ts).
import { findPort, servingContainers } from '../apiserver/find-port.ts'
import type { InjectionPlan } from '../injection/decide.ts'
import type { Container, Pod } from '../injection/pod.ts'
import { chainOf } from '../injection/proxy-chain.ts'
import { change, type Located, type Message, type Where } from './files.ts'
import type { Path } from './templates.ts'

/** A Pod template of the inputs, as the Services that select it see it. */
export interface SeenTemplate {
  namespace: string
  where: Where
  /** The template after injection, or as it was. */
  pod: Pod
  /** What this run injected into it, if anything. */
  plan?: InjectionPlan
}

export interface ServiceOptions {
  /** The namespace of objects that name none. */
  namespace: string
  retarget: boolean
}

/** A Service port as the file has it, checked by nothing (find-port.ts's ServicePort is typed). */
export interface WrittenServicePort {
  port?: unknown
  targetPort?: unknown
  protocol?: unknown
}

export interface Service {
  kind?: unknown
  metadata?: { name?: unknown; namespace?: unknown }
  spec?: { selector?: unknown; ports?: unknown }
}

/** Re-points, or names, every Service port that reaches an injected app port directly. */
export function reachServices(
  docs: readonly Located[],
  templates: readonly SeenTemplate[],
  options: ServiceOptions,
): Message[] {
  if (!templates.some((t) => t.plan)) return []
  return docs.flatMap((doc) =>
    servicesIn(doc.object).flatMap(({ service, base }) => {
      const namespace = stringOr(service.metadata?.namespace, options.namespace)
      const selected = templates.filter(
        (t) => t.namespace === namespace && selects(service.spec?.selector, t.pod),
      )
      const fronted = selected.flatMap((template) => {
        const front = frontOf(template)
        return front ? [{ template, front }] : []
      })
      const [first] = fronted
      return first ? checkPorts({ doc, base, service }, { ...first, selected }, options) : []
    }),
  )
}

/** A Service where the inputs hold it: a document, or an item of a List. */
export interface ServiceSite {
  doc: Located
  base: Path
  service: Service
}

/** The Services of a document: itself, or the items of a List. */
export function servicesIn(object: unknown): { service: Service; base: Path }[] {
  const found = object as (Service & { items?: unknown }) | null
  if (found?.kind === 'Service') return [{ service: found, base: [] }]
  if (found?.kind !== 'List' || !Array.isArray(found.items)) return []
  return found.items.flatMap((item, i) =>
    (item as Service | null)?.kind === 'Service'
      ? [{ service: item as Service, base: ['items', i] }]
      : [],
  )
}

/** The outermost proxy: its sidecar, listening port and that port's name; and the app port. */
interface Front {
  sidecar: string
  port: number
  portName: string | undefined
  /** The name the catalog gives the proxy's port (meter-http), where a takeover replaced it. */
  replacedName: string | undefined
  appPort: number
}

function frontOf({ plan, pod }: SeenTemplate): Front | undefined {
  if (!plan) return undefined
  const chain = chainOf(plan.sidecars)
  const first = chain[0]
  const appPort = plan.upstreams.get(chain.at(-1)?.name ?? '')
  if (!first || appPort === undefined) return undefined
  const port = first.listen.port
  const portName = allContainers(pod)
    .flatMap((c) => c.ports ?? [])
    .find((p) => p.containerPort === port)?.name
  const own = first.listen.name
  const replacedName = own !== undefined && own !== portName ? own : undefined
  return { sidecar: first.name, port, portName, replacedName, appPort }
}

/** A Service selects Pods whose labels hold every pair of its selector; no selector, none. */
export function selects(selector: unknown, pod: Pod): boolean {
  if (selector === null || typeof selector !== 'object') return false
  const entries = Object.entries(selector as Record<string, unknown>)
  const labels = (pod.metadata?.labels ?? {}) as Record<string, unknown>
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v)
}

/** The template a Service reaches past its proxy, that proxy, and every template it selects. */
interface Fronting {
  template: SeenTemplate
  front: Front
  selected: readonly SeenTemplate[]
}

function checkPorts(
  { doc, base, service }: ServiceSite,
  { template, front, selected }: Fronting,
  options: ServiceOptions,
): Message[] {
  const { name, where } = describeService({ doc, base, service })
  return portsOf(service).flatMap((port, i): Message[] => {
    const target = port.targetPort ?? port.port
    const missed = bypass(template.pod, port, front)
    if (!missed) return []
    const shown = String(target)
    const to = typeof target === 'string' ? nameFor(template.pod, front.port, port) : front.port
    if (!options.retarget) {
      const text = `${missedText(missed, name, shown, { template, front })}; point it at ${to}, or run inject with --retarget-services`
      return [{ level: 'warning', where, text }]
    }
    // Re-pointed, the Service would send nothing to the Pods it selects that have no proxy there.
    const bare = selected.find((t) => !listensOn(t.pod, front.port))
    if (bare) {
      const text = `targetPort ${shown} not re-pointed: Service ${name} also selects ${bare.where.object}, which has no proxy listening on ${front.port}`
      return [{ level: 'warning', where, text }]
    }
    const path: Path = [...base, 'spec', 'ports', i, 'targetPort']
    const failed = change(doc, [{ op: 'set', path, value: to }])
    if (failed)
      return [{ level: 'error', where, text: `targetPort ${shown} not re-pointed: ${failed}` }]
    const text = `targetPort ${shown} re-pointed to ${to}, the ${front.sidecar} proxy in front of ${template.where.object}`
    return [{ level: 'info', where, text }]
  })
}

// Why the Service named `name` misses the proxy, for a warning.
function missedText(
  missed: 'app' | 'replaced',
  name: string,
  target: string,
  { template, front }: Pick<Fronting, 'template' | 'front'>,
): string {
  const pod = template.where.object
  return missed === 'replaced'
    ? `Service ${name} reaches no Pod of ${pod}: its targetPort ${target} names no port once the ${front.sidecar} proxy took over the app port's name ${front.portName}`
    : `the ${front.sidecar} proxy sees no traffic from Service ${name}: its targetPort ${target} is the app's port (${pod})`
}

// How a Service port misses the proxy: it reaches the app port directly ('app'), or it names the
// proxy's own port name (meter-http, as the README long advised), which names no port once the
// proxy took the app port's name over ('replaced'); undefined when it does not miss it. A UDP or
// SCTP Service port is none of the proxy's business: the proxy carries TCP only.
function bypass(pod: Pod, port: WrittenServicePort, front: Front): 'app' | 'replaced' | undefined {
  if (!carriesTcp(port)) return undefined
  const target = port.targetPort ?? port.port
  const reached = reaches(pod, target, port.protocol)
  if (reached === front.appPort) return 'app'
  const taken = front.portName !== undefined && front.replacedName !== undefined
  return reached === undefined && taken && target === front.replacedName ? 'replaced' : undefined
}

/**
 * How a Service port written by name reaches `port` of the Pod: by the port's name where that
 * name leads there (an earlier container may declare it too, and the EndpointSlice controller
 * takes the first), else by the number.
 */
export function nameFor(pod: Pod, port: number, servicePort: WrittenServicePort): string | number {
  const name = servingContainers(pod)
    .flatMap((c) => c.ports ?? [])
    .find((p) => p.containerPort === port && p.name)?.name
  return name !== undefined && reaches(pod, name, servicePort.protocol) === port ? name : port
}

/** Whether the Service port is TCP (the default), the only protocol a proxy carries. */
export function carriesTcp(port: WrittenServicePort): boolean {
  return (port.protocol ?? 'TCP') === 'TCP'
}

/** The port a Service port's target reaches in `pod`, as the EndpointSlice controller finds it. */
export function reaches(pod: Pod, target: unknown, protocol: unknown): number | undefined {
  if (typeof target !== 'number' && typeof target !== 'string') return undefined
  return findPort(pod, { targetPort: target, ...(typeof protocol === 'string' && { protocol }) })
}

/** The Service's name (namespace/name, as written) and where messages about it point. */
export function describeService({ doc, service }: ServiceSite): { name: string; where: Where } {
  const namespace = service.metadata?.namespace
  const name = `${typeof namespace === 'string' && namespace ? `${namespace}/` : ''}${String(service.metadata?.name)}`
  return {
    name,
    where: { file: doc.file.source.name, document: doc.index + 1, object: `Service ${name}` },
  }
}

/** The Service's ports, as written; none where it lists none. */
export function portsOf(service: Service): WrittenServicePort[] {
  return Array.isArray(service.spec?.ports) ? (service.spec.ports as WrittenServicePort[]) : []
}

/** Whether a regular container or a native sidecar of the Pod declares the port. */
export function listensOn(pod: Pod, port: number): boolean {
  return servingContainers(pod).some((c) => (c.ports ?? []).some((p) => p.containerPort === port))
}

function allContainers(pod: Pod): Container[] {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]
}

/** `value` where it is a non-empty string, else `fallback`. */
export function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value ? value : fallback
}
