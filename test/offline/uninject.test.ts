// `sidecar-patterns uninject`: the exact inverse of inject for what injection added, proven
// against the catalog as it renders the sidecar for the Pod (src/injection/evidence.ts); never a
// container the user wrote.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { loadCatalog } from '../../src/catalog/load.ts'
import { describeWhere } from '../../src/offline/files.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { uninjectSources } from '../../src/offline/uninject-documents.ts'
import { testCatalog } from '../helpers/config.ts'

const shop = readFileSync(new URL('../fixtures/manifests/shop.yaml', import.meta.url), 'utf8')
const injected = readFileSync(new URL('../golden/shop.injected.yaml', import.meta.url), 'utf8')

function uninject(text: string, catalog = testCatalog) {
  const { outputs, messages } = uninjectSources([{ name: 'shop.yaml', text }], catalog, {
    namespace: 'default',
  })
  const lines = messages.map((m) => `${m.level}: ${describeWhere(m.where)}: ${m.text}`)
  return { output: outputs[0]?.text ?? '', lines }
}

t.test('uninject of inject output gives the original bytes back', async (t) => {
  const { output, lines } = uninject(injected)
  t.equal(output, shop)
  t.same(lines, [
    'info: shop.yaml: document 2 (Deployment shop/web): removed metrics, git-sync',
    'info: shop.yaml: document 4 (CronJob batch/report): removed git-sync',
    'info: shop.yaml: document 5 (Pod batch/debug): unchanged (nothing injected)',
  ])
  t.equal(uninject(shop).output, shop, 'nothing injected: nothing changes')
})

const USER_SIDECAR = `apiVersion: v1
kind: Pod
metadata:
  name: own
  annotations:
    patterns/injected: metrics
spec:
  containers:
    - name: app
      image: app:1
      ports: [{containerPort: 8080}]
    - name: patterns-metrics  # the user's own, not ours
      image: example.com/my-meter:2
`

t.test('a container the user wrote is never removed, even one named like ours', async (t) => {
  const { output, lines } = uninject(`${USER_SIDECAR}---\n${injected}`)
  t.equal(output, `${USER_SIDECAR}---\n${shop}`, 'the other Pods are uninjected all the same')
  t.match(
    lines[0],
    /^error: shop.yaml: document 1 \(Pod own\): patterns\/injected lists metrics, but the Pod does not hold it as the catalog renders it \(.*\); metrics is left in place$/,
  )
})

t.test('a proven sidecar is removed and an unproven claim stays recorded', async (t) => {
  const partly = injected.replace(
    'patterns/injected: git-sync',
    'patterns/injected: git-sync,metrics',
  )
  const { output, lines } = uninject(partly)
  const report = parseAllDocuments(output)[3]?.toJS().spec.jobTemplate.spec.template
  t.same(report.metadata.annotations['patterns/injected'], 'metrics', 'the claim left standing')
  t.same(
    report.metadata.annotations['patterns/revision'],
    undefined,
    "git-sync's revision goes, and the annotation with it: the claim left standing has none",
  )
  t.same(report.spec.initContainers, undefined, 'git-sync removed')
  t.same(report.spec.containers[0].volumeMounts, undefined, 'with its mount in the app container')
  t.match(lines, [
    /removed metrics, git-sync/,
    /^error: shop.yaml: document 4 \(CronJob batch\/report\): patterns\/injected lists metrics, but the Pod does not hold it/,
    /document 4 \(CronJob batch\/report\): removed git-sync$/,
    /unchanged/,
  ])
})

t.test('sidecars rendered by another catalog are not ours: give that catalog', async (t) => {
  const loaded = loadCatalog(undefined, 'example.com/sidecar-patterns:9.9.9')
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const { output, lines } = uninject(injected, loaded.catalog)
  t.equal(output.includes('patterns-metrics'), true, 'the metrics sidecar stays')
  t.match(
    lines.filter((l) => l.startsWith('error')),
    [
      /document 2 \(Deployment shop\/web\): patterns\/injected lists metrics, but the Pod does not hold it as the catalog renders it \(initContainers\[patterns-metrics\]\.image is not as the catalog renders it\)/,
    ],
  )
  t.notMatch(output, /- name: patterns-git-sync\n\s+image:/, 'git-sync, rendered alike, is removed')
  t.match(output, '- name: http-app\n', "the app's port keeps the name metrics took over")
  t.match(output, 'patterns/port-takeover: ', 'and the record of it')
  const metricsRevision = /patterns\/revision: (metrics=[0-9a-f]+),git-sync=/.exec(injected)?.[1]
  t.ok(metricsRevision, 'inject recorded both revisions')
  t.match(
    output,
    `        patterns/revision: ${metricsRevision}\n`,
    "metrics keeps its revision; git-sync's goes",
  )
})

// The app port is named, so the meter takes the name over: the port is renamed and the probes and
// hooks that used the name use the number (src/injection/port-takeover.ts).
const NAMED = `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {patterns/sidecar: metrics}
spec:
  containers:
  - name: web
    image: web:1
    ports:
    - name: "http"
      containerPort: 8080
    readinessProbe:
      httpGet: {path: /ready, port: "http"}
    livenessProbe:
      tcpSocket:
        port: "http"  # the name
    startupProbe:
      httpGet:
        port: 8080  # the number, as written
    lifecycle:
      preStop:
        httpGet:
          path: /stop
          port: "http"
`

t.test('a port name taken over is given back, and the handlers that used it', async (t) => {
  const inject = injectSources([{ name: 'shop.yaml', text: NAMED }], {
    catalog: testCatalog,
    namespace: 'default',
  })
  const output = inject.outputs[0]?.text ?? ''
  const app = parseAllDocuments(output)[0]?.toJS().spec.containers[0]
  t.same(app.ports[0].name, 'http-app', 'inject renamed the port')
  t.same(
    [app.readinessProbe.httpGet.port, app.livenessProbe.tcpSocket.port],
    [8080, 8080],
    'and set the probes to the number',
  )
  const { output: back, lines } = uninject(output)
  t.equal(back, NAMED, 'the names come back quoted as they were, the record goes')
  t.same(lines, ['info: shop.yaml: document 1 (Pod web): removed metrics'])
})

t.test('a handler not in the record keeps the number', async (t) => {
  const output =
    injectSources([{ name: 'shop.yaml', text: NAMED }], {
      catalog: testCatalog,
      namespace: 'default',
    }).outputs[0]?.text ?? ''
  const fewer = output.replace(',"web/lifecycle/preStop/httpGet"', '')
  t.not(fewer, output)
  const back = uninject(fewer).output
  t.equal(back, NAMED.replace('          port: "http"\n', '          port: 8080\n'))
})
