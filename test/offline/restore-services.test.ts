// Services in the same inputs as a Pod template uninject removes a proxy from: those whose
// targetPort reached the proxy (its port number, or its own port name) would reach no port once
// it is gone, and are named on standard error, or, with --retarget-services, pointed back at the
// app port the proxy fronted (by number or by name, as written). Which port a targetPort reaches
// is the EndpointSlice controller's rule (src/apiserver/find-port.ts), before and after.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { parse, stringify } from 'yaml'
import type { Pod } from '../../src/injection/pod.ts'
import { describeWhere, type Outcome } from '../../src/offline/files.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { listensOn, reaches } from '../../src/offline/services.ts'
import { uninjectSources } from '../../src/offline/uninject-documents.ts'
import { testCatalog } from '../helpers/config.ts'
import { service, webDeployment } from '../helpers/manifests.ts'
import { podReviews } from '../helpers/pod-arbitraries.ts'

const HTTP = 'name: http\ncontainerPort: 8080'
const deployment = (name: string, sidecars: string, ports = [HTTP]) =>
  webDeployment(name, { sidecars, labels: `track: ${name}`, ports })

const selecting = (name: string, ports: string) =>
  service(name, `  selector: {app: web}\n  ports:\n${ports}`)

const SERVICES = [
  selecting('by-number', '  - port: 80\n    targetPort: 8080 # the app\n'),
  selecting('implicit', '  - port: 8080\n'),
  selecting('by-name', '  - port: 80\n    targetPort: http\n'),
  selecting('by-meter-name', '  - port: 80\n    targetPort: meter-http\n'),
  selecting('admin', '  - port: 9000\n'),
].join('---\n')

const serviceLines = (outcome: Outcome) =>
  outcome.messages
    .filter((m) => m.where.object?.startsWith('Service'))
    .map((m) => `${m.level}: ${describeWhere(m.where)}: ${m.text}`)

/** The inputs injected with --retarget-services, as a GitOps repository would hold them. */
function injected(web: string) {
  const sources = [
    { name: 'web.yaml', text: web },
    { name: 'services.yaml', text: SERVICES },
  ]
  const outcome = injectSources(sources, {
    catalog: testCatalog,
    namespace: 'default',
    retargetServices: true,
  })
  return outcome.outputs.map(({ source, text }) => ({ name: source.name, text }))
}

function uninjected(sources: { name: string; text: string }[], retargetServices: boolean) {
  const outcome = uninjectSources(sources, testCatalog, { namespace: 'default', retargetServices })
  return { lines: serviceLines(outcome), texts: outcome.outputs.map((o) => o.text) }
}

const WEB = deployment('web', 'metrics')

t.test(
  'without the flag, each Service left reaching no port is named; nothing changes',
  async (t) => {
    const sources = injected(WEB)
    const { lines, texts } = uninjected(sources, false)
    const hint =
      "once its metrics proxy is removed: its targetPort 15080 is the proxy's; point it at 8080, or run uninject with --retarget-services"
    t.same(lines, [
      `warning: services.yaml: document 1 (Service shop/by-number): Service shop/by-number reaches no port of Deployment shop/web ${hint}`,
      `warning: services.yaml: document 2 (Service shop/implicit): Service shop/implicit reaches no port of Deployment shop/web ${hint}`,
    ])
    t.equal(texts[0], WEB, 'the Deployment is as it was before inject')
    t.equal(texts[1], sources[1]?.text, 'the Services are as inject left them')
  },
)

t.test('--retarget-services points them back at the app port, as they were written', async (t) => {
  const sources = injected(WEB)
  t.not(sources[1]?.text, SERVICES, 'inject re-pointed some')
  const { lines, texts } = uninjected(sources, true)
  const fronted = 'the app port the removed metrics proxy fronted in Deployment shop/web'
  t.same(lines, [
    `info: services.yaml: document 1 (Service shop/by-number): targetPort 15080 re-pointed to 8080, ${fronted}`,
    `info: services.yaml: document 2 (Service shop/implicit): targetPort 15080 re-pointed to 8080, ${fronted}`,
  ])
  const expected = SERVICES
    // Written out where inject wrote it: the same port as the one the Service left implicit.
    .replace('  - port: 8080\n', '  - port: 8080\n    targetPort: 8080\n')
    // meter-http named no port once the meter took the app port's name; inject pointed it at
    // the name, which reaches the app again once the name is given back.
    .replace('    targetPort: meter-http\n', '    targetPort: http\n')
  t.equal(texts[1], expected, 'the comment kept, the rest byte for byte')
  t.equal(texts[0], WEB)
  const again = uninjectSources(
    texts.map((text, i) => ({ name: sources[i]?.name ?? '', text })),
    testCatalog,
    { namespace: 'default', retargetServices: true },
  )
  t.same(serviceLines(again), [], 'a second run finds nothing to point back')
})

t.test('an app port without a name: its meter-http goes back to the number', async (t) => {
  const web = deployment('web', 'metrics', ['containerPort: 8080'])
  const { lines } = uninjected(injected(web), true)
  t.same(
    lines.map((l) => l.replace(/.*\(Service shop\/([a-z-]+)\): /, '$1: ')),
    [
      'by-number: targetPort 15080 re-pointed to 8080, the app port the removed metrics proxy fronted in Deployment shop/web',
      'implicit: targetPort 15080 re-pointed to 8080, the app port the removed metrics proxy fronted in Deployment shop/web',
      'by-meter-name: targetPort meter-http re-pointed to 8080, the app port the removed metrics proxy fronted in Deployment shop/web',
    ],
  )
})

t.test('through a chain of removed proxies, the port they all fronted', async (t) => {
  const { lines } = uninjected(injected(deployment('web', 'metrics,auth')), true)
  t.match(lines, [
    /by-number\): targetPort 15080 re-pointed to 8080,/,
    /implicit\): targetPort 15080 re-pointed to 8080,/,
  ])
  t.equal(lines.length, 2)
})

t.test('a Service that also selects Pods keeping a proxy there is not pointed back', async (t) => {
  // The canary's own container listens on 15080: pointed at 8080, the Service would pass it by.
  const canary = deployment('canary', 'git-sync', [HTTP, 'containerPort: 15080'])
  const [web, services] = injected(WEB)
  const sources = [
    { name: 'web.yaml', text: `${web?.text}---\n${canary}` },
    { name: 'services.yaml', text: services?.text ?? '' },
  ]
  const { lines, texts } = uninjected(sources, true)
  t.same(lines, [
    'warning: services.yaml: document 1 (Service shop/by-number): targetPort 15080 not re-pointed: Service shop/by-number also selects Deployment shop/canary, where a proxy still listens on 15080',
    'warning: services.yaml: document 2 (Service shop/implicit): targetPort 15080 not re-pointed: Service shop/implicit also selects Deployment shop/canary, where a proxy still listens on 15080',
  ])
  t.equal(texts[1], services?.text)
})

t.test('Services are left alone where uninject removes no proxy', async (t) => {
  const sources = injected(WEB).map((s) =>
    s.name === 'web.yaml'
      ? { ...s, text: s.text.replace('patterns/injected: metrics', 'patterns/injected: git-sync') }
      : s,
  )
  const outcome = uninjectSources(sources, testCatalog, {
    namespace: 'default',
    retargetServices: true,
  })
  t.same(serviceLines(outcome), [])
  t.equal(outcome.outputs[1]?.text, sources[1]?.text)
})

// Whatever the Pod and however its Services target it, the round trip through inject and
// uninject, both re-pointing Services, leaves every Service port that reached a port of the Pod
// reaching that same port (one that reached none may come to reach the app: inject points a
// meter-http that names no port at the name the meter took over, the app's).
const target = fc.record({
  kind: fc.constantFrom('number', 'name', 'implicit', 'fixed'),
  pick: fc.nat(),
  fixed: fc.constantFrom(15080, 'meter-http', 4180, 'auth-http', 'http', 8080),
  protocol: fc.option(fc.constantFrom('TCP', 'UDP'), { freq: 4, nil: undefined }),
})
type Target = typeof target extends fc.Arbitrary<infer T> ? T : never

interface Port {
  name: string
  port: number
  targetPort?: number | string
  protocol?: string
}

// The Service's ports: a port of the Pod by number, by name or left implicit, or a fixed target.
function servicePorts(pod: Pod, targets: readonly Target[]): Port[] {
  const declared = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].flatMap(
    (c) => c.ports ?? [],
  )
  return targets.map(({ kind, pick, fixed, protocol }, i) => {
    const chosen = declared[pick % Math.max(declared.length, 1)]
    const port = { name: `p${i}`, port: 1000 + i, ...(protocol && { protocol }) }
    if (kind === 'fixed' || !chosen) return { ...port, targetPort: fixed }
    if (kind === 'implicit') return { ...port, port: chosen.containerPort }
    return { ...port, targetPort: kind === 'name' ? (chosen.name ?? fixed) : chosen.containerPort }
  })
}

/** The Pod and a Service of `ports` selecting it, injected and uninjected, both re-pointing. */
function roundTrip(pod: Pod, ports: readonly Port[]) {
  const namespace = pod.metadata?.namespace || 'default'
  const spec = { selector: { app: 'web' }, ports }
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace }, spec }
  const sources = [
    { name: 'pod.yaml', text: stringify(pod) },
    { name: 'service.yaml', text: stringify(service) },
  ]
  const options = { namespace: 'default', retargetServices: true }
  const there = injectSources(sources, { catalog: testCatalog, ...options })
  const texts = there.outputs.map((o) => ({ name: o.source.name, text: o.text }))
  const back = uninjectSources(texts, testCatalog, options)
  const portsIn = (text = '') => (parse(text) as { spec: { ports: Port[] } }).spec.ports
  const said = [...there.messages, ...back.messages].map((m) => `${m.level}: ${m.text}`)
  const written = [...there.outputs, ...back.outputs].map((o) => `--- ${o.source.name}\n${o.text}`)
  return {
    injected: {
      pod: parse(there.outputs[0]?.text ?? '') as Pod,
      ports: portsIn(there.outputs[1]?.text),
    },
    ports: portsIn(back.outputs[1]?.text),
    said,
    written,
  }
}

// Inject re-points a Service port only at a port that a container it added listens on.
function pointsAtProxy(
  pod: Pod,
  before: Port,
  injected: { pod: Pod; ports: readonly Port[] },
  i: number,
) {
  const after = injected.ports[i] ?? before
  if (after.targetPort === before.targetPort) return true
  const port = reached(injected.pod, after)
  const all = (p: Pod) => [...p.spec.containers, ...(p.spec.initContainers ?? [])]
  const own = new Set(all(pod).map((c) => c.name))
  const added = all(injected.pod).filter((c) => !own.has(c.name))
  return added.some((c) => (c.ports ?? []).some((p) => p.containerPort === port))
}

// The Pod as the Service selects it, asking for `asked` alone where given.
function labelled(pod: Pod, asked: string | undefined): Pod {
  const annotations = asked ? { 'patterns/sidecar': asked } : pod.metadata?.annotations
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { app: 'web' }, ...(annotations && { annotations }) },
  }
}

const reached = (pod: Pod, port: Port) => reaches(pod, port.targetPort ?? port.port, port.protocol)

t.test(
  'inject then uninject with --retarget-services: each Service reaches what it did',
  async (t) => {
    let pointedBack = 0
    const targets = fc.array(target, { minLength: 1, maxLength: 6 })
    // Half of the Pods ask for proxies alone, so that many have some to remove.
    const proxies = fc.option(fc.constantFrom('metrics', 'auth', 'metrics,auth'), {
      nil: undefined,
    })
    fc.assert(
      fc.property(podReviews, targets, proxies, (review, drawn, asked) => {
        const pod = labelled(review.request.object, asked)
        const ports = servicePorts(pod, drawn)
        const trip = roundTrip(pod, ports)
        if (trip.said.some((line) => /re-pointed to .*, the app port/.test(line))) pointedBack++
        for (const [i, before] of ports.entries()) {
          const why = (after?: Port) =>
            [
              `${JSON.stringify(before)} came back as ${JSON.stringify(after)}`,
              ...trip.said,
              ...trip.written,
            ].join('\n')
          assert.ok(pointsAtProxy(pod, before, trip.injected, i), why(trip.injected.ports[i]))
          const after = trip.ports[i] ?? before
          const was = reached(pod, before)
          if (was === undefined || !listensOn(pod, was)) continue
          assert.equal(reached(pod, after), was, why(after))
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    )
    t.ok(pointedBack > 0, `${pointedBack} of the round trips pointed a Service back`)
  },
)
