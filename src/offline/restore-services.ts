// The inverse of `inject --retarget-services`, for `uninject`: a Service in the same inputs whose
// targetPort reached a proxy that uninject removes would reach no port once it is gone (a number
// nothing declares, or the proxy's own port name). `uninject --retarget-services` points it back
// at the port the proxy forwarded to, the app's (by number or by name, as it is written);
// otherwise each is named on standard error. A targetPort that reaches the app again by itself
// (the app port's name, which a takeover gives back) needs nothing.
//
// Which port a targetPort reaches is the EndpointSlice controller's rule (src/offline/services.ts
// `reaches`), before uninject on the Pod as it is and after it on the Pod as uninject leaves it.
import type { Pod } from '../injection/pod.ts'
import { change, type Located, type Message, type Where } from './files.ts'
import {
  carriesTcp,
  describeService,
  listensOn,
  nameFor,
  portsOf,
  reaches,
  type ServiceSite,
  selects,
  servicesIn,
  stringOr,
  type WrittenServicePort,
} from './services.ts'
import type { Path } from './templates.ts'
import type { RemovedProxy } from './uninject-pod.ts'

/** A Pod template of the inputs, before and after uninject, and the proxies it lost. */
export interface UninjectedTemplate {
  namespace: string
  where: Where
  before: Pod
  after: Pod
  removed: readonly RemovedProxy[]
}

/** Points back at the app, or names, every Service port that would reach a removed proxy. */
export function restoreServices(
  docs: readonly Located[],
  templates: readonly UninjectedTemplate[],
  options: { namespace: string; retarget: boolean },
): Message[] {
  if (!templates.some((t) => t.removed.length)) return []
  return docs.flatMap((doc) =>
    servicesIn(doc.object).flatMap(({ service, base }) => {
      const namespace = stringOr(service.metadata?.namespace, options.namespace)
      const selected = templates.filter(
        (t) => t.namespace === namespace && selects(service.spec?.selector, t.after),
      )
      const site = { doc, base, service }
      return portsOf(service).flatMap((port, index) =>
        restorePort(site, { port, index }, selected, options),
      )
    }),
  )
}

function restorePort(
  site: ServiceSite,
  { port, index }: { port: WrittenServicePort; index: number },
  selected: readonly UninjectedTemplate[],
  options: { retarget: boolean },
): Message[] {
  // A proxy carries TCP only: a UDP or SCTP Service port never reached one.
  if (!carriesTcp(port)) return []
  const target = port.targetPort ?? port.port
  const lost = selected.flatMap((template) => {
    const proxy = lostProxy(template, target, port.protocol)
    return proxy ? [{ template, proxy }] : []
  })
  const [first] = lost
  if (!first) return []
  const { name, where } = describeService(site)
  const { template, proxy } = first
  const app = appPortOf(template, proxy)
  const to = typeof target === 'string' ? nameFor(template.after, app, port) : app
  const shown = String(target)
  if (!options.retarget) {
    const text = `Service ${name} reaches no port of ${template.where.object} once its ${proxy.sidecar} proxy is removed: its targetPort ${shown} is the proxy's; point it at ${to}, or run uninject with --retarget-services`
    return [{ level: 'warning', where, text }]
  }
  // Pointed back, the Service would pass by the proxy on the Pods it selects that keep one there.
  const kept = selected.find((t) => listensOn(t.after, proxy.port))
  if (kept) {
    const text = `targetPort ${shown} not re-pointed: Service ${name} also selects ${kept.where.object}, where a proxy still listens on ${proxy.port}`
    return [{ level: 'warning', where, text }]
  }
  const path: Path = [...site.base, 'spec', 'ports', index, 'targetPort']
  const failed = change(site.doc, [{ op: 'set', path, value: to }])
  if (failed)
    return [{ level: 'error', where, text: `targetPort ${shown} not re-pointed: ${failed}` }]
  const text = `targetPort ${shown} re-pointed to ${to}, the app port the removed ${proxy.sidecar} proxy fronted in ${template.where.object}`
  return [{ level: 'info', where, text }]
}

// The removed proxy a Service port reached, where it reaches no port once the proxy is gone.
function lostProxy(
  template: UninjectedTemplate,
  target: unknown,
  protocol: unknown,
): RemovedProxy | undefined {
  const reached = reaches(template.before, target, protocol)
  const proxy = template.removed.find((p) => p.port === reached)
  if (!proxy) return undefined
  const after = reaches(template.after, target, protocol)
  return after === undefined || !listensOn(template.after, after) ? proxy : undefined
}

// Where the traffic went through the removed proxies: the first port that is still there.
function appPortOf(template: UninjectedTemplate, proxy: RemovedProxy): number {
  let port = proxy.upstream
  for (let hops = 0; hops < template.removed.length; hops++) {
    const next = template.removed.find((p) => p.port === port)
    if (!next) break
    port = next.upstream
  }
  return port
}
