// Services in the same inputs as a Pod template uninject removes a proxy from: those whose
// targetPort reached the proxy (its port number, or its own port name) would reach no port once
// it is gone, and are named on standard error, or, with --retarget-services, pointed back at the
// app port the proxy fronted (by number or by name, as written). Which port a targetPort reaches
// is the EndpointSlice controller's rule (src/apiserver/find-port.ts), before and after.
import t from 'tap'
import { describeWhere, type Outcome } from '../../src/offline/files.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { uninjectSources } from '../../src/offline/uninject-documents.ts'
import { testCatalog } from '../helpers/config.ts'
import { service, webDeployment } from '../helpers/manifests.ts'

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
