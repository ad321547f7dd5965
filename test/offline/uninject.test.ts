// `sidecar-patterns uninject`: the exact inverse of inject for what injection added, proven
// against the catalog as it renders the sidecar for the Pod (src/injection/evidence.ts); never a
// container the user wrote.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { loadCatalog } from '../../src/catalog/load.ts'
import { describeWhere } from '../../src/offline/files.ts'
import { uninjectSources } from '../../src/offline/uninject-documents.ts'
import { testCatalog } from '../helpers/config.ts'

const shop = readFileSync(new URL('../fixtures/manifests/shop.yaml', import.meta.url), 'utf8')
const injected = readFileSync(new URL('../golden/shop.injected.yaml', import.meta.url), 'utf8')

function uninject(text: string, catalog = testCatalog) {
  const { outputs, messages } = uninjectSources([{ name: 'shop.yaml', text }], catalog)
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
})
