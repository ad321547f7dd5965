// Services in the same inputs as an injected Pod template: those whose targetPort reaches the app
// port an injected proxy now fronts are named on standard error, or, with --retarget-services,
// re-pointed at the proxy, byte-faithfully. Which port a targetPort reaches is the EndpointSlice
// controller's rule (kubernetes staging/src/k8s.io/endpointslice/utils.go, findPort), on the
// injected Pod: where the app port is named, the proxy took the name over
// (src/injection/port-takeover.ts), and a Service that targets the name reaches it as it is.
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { describeWhere } from '../../src/offline/files.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { reaches } from '../../src/offline/services.ts'
import { testCatalog } from '../helpers/config.ts'
import { service, webDeployment } from '../helpers/manifests.ts'

const DEPLOYMENT = webDeployment('web', {
  sidecars: 'metrics',
  labels: 'tier: front',
  ports: ['name: http\ncontainerPort: 8080', 'name: admin\ncontainerPort: 9000'],
})

const SERVICES = [
  // Reaches the app port by number: bypasses the meter.
  service(
    'by-number',
    '  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: 8080 # the app\n',
  ),
  // By the name of the app's port, which the meter takes over: reaches the meter as it is.
  service('by-name', '  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: "http"\n'),
  // No targetPort: it is the port, 8080.
  service('implicit', '  selector: {app: web}\n  ports:\n  - port: 8080\n'),
  // Another port of the app: not the one the meter fronts.
  service('admin', '  selector: {app: web}\n  ports:\n  - port: 9000\n    targetPort: admin\n'),
  // Already at the meter, by number (its port is named http here, not meter-http: it took the
  // name over).
  service('metered', '  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: 15080\n'),
  // Selects other Pods, or the same labels in another namespace.
  service('other', '  selector: {app: shop}\n  ports:\n  - port: 80\n    targetPort: 8080\n'),
  service(
    'elsewhere',
    '  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: 8080\n',
    'batch',
  ),
  // No selector: its endpoints are managed by hand.
  service('manual', '  ports:\n  - port: 80\n    targetPort: 8080\n'),
  // The meter's own port name, which a takeover replaces with the app port's: reaches nothing.
  service(
    'by-meter-name',
    '  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: meter-http\n',
  ),
]

function run(retargetServices: boolean) {
  const sources = [
    { name: 'web.yaml', text: DEPLOYMENT },
    { name: 'services.yaml', text: SERVICES.join('---\n') },
  ]
  const outcome = injectSources(sources, {
    catalog: testCatalog,
    namespace: 'default',
    retargetServices,
  })
  const lines = outcome.messages
    .filter((m) => m.where.object?.startsWith('Service'))
    .map((m) => `${m.level}: ${describeWhere(m.where)}: ${m.text}`)
  const web = parseAllDocuments(outcome.outputs[0]?.text ?? '')[0]?.toJS().spec.template
  return { lines, services: outcome.outputs[1]?.text ?? '', original: sources[1]?.text, web }
}

t.test(
  'without the flag, each Service that bypasses the proxy is named; nothing changes',
  async (t) => {
    const { lines, services, original, web } = run(false)
    const hint = "is the app's port (Deployment shop/web); point it at"
    t.same(lines, [
      `warning: services.yaml: document 1 (Service shop/by-number): the metrics proxy sees no traffic from Service shop/by-number: its targetPort 8080 ${hint} 15080, or run inject with --retarget-services`,
      `warning: services.yaml: document 3 (Service shop/implicit): the metrics proxy sees no traffic from Service shop/implicit: its targetPort 8080 ${hint} 15080, or run inject with --retarget-services`,
      "warning: services.yaml: document 9 (Service shop/by-meter-name): Service shop/by-meter-name reaches no Pod of Deployment shop/web: its targetPort meter-http names no port once the metrics proxy took over the app port's name http; point it at http, or run inject with --retarget-services",
    ])
    t.equal(reaches(web, 'meter-http', undefined), undefined, 'meter-http names no port')
    t.equal(
      reaches(web, 'http', undefined),
      15080,
      'by-name reaches the meter, which took the name',
    )
    t.equal(reaches(web, 'http-app', undefined), 8080, "the app's port, renamed")
    t.equal(services, original)
  },
)

t.test(
  '--retarget-services re-points them at the proxy, in the style they were written',
  async (t) => {
    const { lines, services, original } = run(true)
    t.same(lines, [
      'info: services.yaml: document 1 (Service shop/by-number): targetPort 8080 re-pointed to 15080, the metrics proxy in front of Deployment shop/web',
      'info: services.yaml: document 3 (Service shop/implicit): targetPort 8080 re-pointed to 15080, the metrics proxy in front of Deployment shop/web',
      'info: services.yaml: document 9 (Service shop/by-meter-name): targetPort meter-http re-pointed to http, the metrics proxy in front of Deployment shop/web',
    ])
    const expected = (original ?? '')
      .replace('    targetPort: 8080 # the app\n', '    targetPort: 15080 # the app\n')
      .replace('  - port: 8080\n', '  - port: 8080\n    targetPort: 15080\n')
      .replace('    targetPort: meter-http\n', '    targetPort: http\n')
    t.equal(services, expected, 'only the three targetPorts changed, comments kept')
    const again = injectSources([{ name: 'services.yaml', text: services }], {
      catalog: testCatalog,
      namespace: 'default',
    })
    t.same(again.messages, [], 'the re-pointed Services select no injected template on their own')
    t.same(parseAllDocuments(services).length, SERVICES.length)
  },
)

t.test('a targetPort reaches the port the EndpointSlice controller would find', async (t) => {
  const pod = {
    spec: {
      containers: [
        {
          name: 'app',
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'dns', containerPort: 53, protocol: 'UDP' as const },
          ],
        },
        { name: 'other', ports: [{ name: 'http', containerPort: 9090 }] },
      ],
      initContainers: [
        { name: 'setup', ports: [{ name: 'setup', containerPort: 7000 }] },
        {
          name: 'native',
          restartPolicy: 'Always',
          ports: [
            { name: 'meter', containerPort: 15080 },
            { name: 'http', containerPort: 15081 },
          ],
        },
      ],
    },
  }
  t.equal(reaches(pod, 8080, undefined), 8080, 'a number is itself')
  t.equal(reaches(pod, 'http', undefined), 8080, 'the first regular container that names it')
  t.equal(reaches(pod, 'meter', 'TCP'), 15080, 'then native sidecars')
  t.equal(reaches(pod, 'setup', undefined), undefined, 'never a plain init container')
  t.equal(reaches(pod, 'dns', undefined), undefined, 'the protocol must match (TCP by default)')
  t.equal(reaches(pod, 'dns', 'UDP'), 53)
})

t.test('a Service that also selects Pods without the proxy is not re-pointed', async (t) => {
  const canary = DEPLOYMENT.replace('name: web\n', 'name: web-canary\n')
    .replace('labels: {app: web, tier: front}', 'labels: {app: web, track: canary}')
    .replace('        patterns/sidecar: metrics\n', '        example.com/owner: web-team\n')
  const text = [
    DEPLOYMENT,
    canary,
    service('web', '  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: 8080\n'),
  ].join('---\n')
  const { outputs, messages } = injectSources([{ name: 'web.yaml', text }], {
    catalog: testCatalog,
    namespace: 'default',
    retargetServices: true,
  })
  t.same(
    messages.filter((m) => m.where.object === 'Service shop/web').map((m) => m.text),
    [
      'targetPort 8080 not re-pointed: Service shop/web also selects Deployment shop/web-canary, which has no proxy listening on 15080',
    ],
  )
  t.match(outputs[0]?.text, '    targetPort: 8080\n')
})

t.test('Services inside a List are re-pointed too', async (t) => {
  const list = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: shop}\n  spec:\n    selector: {app: web}\n    ports:\n    - port: 80\n      targetPort: 8080\n`
  const { outputs, messages } = injectSources(
    [
      { name: 'web.yaml', text: DEPLOYMENT },
      { name: 'list.yaml', text: list },
    ],
    { catalog: testCatalog, namespace: 'default', retargetServices: true },
  )
  t.match(messages.at(-1), {
    where: { file: 'list.yaml', document: 1 },
    text: /re-pointed to 15080/,
  })
  t.equal(outputs[1]?.text, list.replace('targetPort: 8080', 'targetPort: 15080'))
})

t.test('a UDP or SCTP Service port is none of a proxy’s business', async (t) => {
  const udp = service(
    'dns',
    '  selector: {app: web}\n  ports:\n  - port: 8080\n    protocol: UDP\n  - port: 80\n    protocol: SCTP\n    targetPort: 8080\n',
  )
  for (const retargetServices of [false, true]) {
    const { outputs, messages } = injectSources(
      [
        { name: 'web.yaml', text: DEPLOYMENT },
        { name: 'dns.yaml', text: udp },
      ],
      { catalog: testCatalog, namespace: 'default', retargetServices },
    )
    t.same(
      messages.filter((m) => m.where.object === 'Service shop/dns'),
      [],
    )
    t.equal(outputs[1]?.text, udp)
  }
})

// The EndpointSlice controller takes the first container that declares a name: where one of the
// app's declares the proxy's port name too, the name would not lead to the proxy.
t.test('re-pointed by number where the proxy’s port name leads elsewhere', async (t) => {
  const shadowed = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  annotations: {patterns/sidecar: metrics, patterns/metrics.port: "8080"}
spec:
  containers:
  - {name: web, image: web:1}
  - name: helper
    image: helper:1
    ports: [{name: meter-http, containerPort: 7000}]
  initContainers:
  - name: native
    image: native:1
    restartPolicy: Always
    ports: [{name: http, containerPort: 8080}]
`
  const byName = service(
    'web',
    '  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: http\n',
  )
  const { outputs, messages } = injectSources(
    [
      { name: 'web.yaml', text: shadowed },
      { name: 'services.yaml', text: byName },
    ],
    { catalog: testCatalog, namespace: 'default', retargetServices: true },
  )
  t.match(
    messages.at(-1)?.text,
    'targetPort http re-pointed to 15080, the metrics proxy in front of Pod shop/web',
  )
  t.equal(outputs[1]?.text, byName.replace('targetPort: http', 'targetPort: 15080'))
})
