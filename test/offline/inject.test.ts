// `sidecar-patterns inject`: the webhook's decision and patch on the Pod templates of
// multi-document YAML files; every other document, field and comment keeps its bytes.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { describeWhere } from '../../src/offline/files.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { testCatalog } from '../helpers/config.ts'
import { checkOrphanGoldens, matchGoldenText } from '../helpers/golden.ts'
import { podViolations } from '../helpers/pod-invariants.ts'

const manifests = readFileSync(new URL('../fixtures/manifests/shop.yaml', import.meta.url), 'utf8')
const options = { catalog: testCatalog, namespace: 'default' }

/** Injects one text as the file `shop.yaml`: its output and messages as printed. */
function injectText(text: string) {
  const { outputs, messages } = injectSources([{ name: 'shop.yaml', text }], options)
  const lines = messages.map((m) => `${m.level}: ${describeWhere(m.where)}: ${m.text}`)
  return { output: outputs[0]?.text ?? '', lines }
}

t.test('injects every Pod template and keeps everything else', async (t) => {
  const { output, lines } = injectText(manifests)
  t.same(lines, [
    'warning: shop.yaml: document 2 (Deployment shop/web): patterns/metrics.port: not set; inferred app port 8080 from the only declared port',
    "warning: shop.yaml: document 2 (Deployment shop/web): metrics takes over port name http, so Services that target it reach metrics (15080); the app's port 8080 is renamed http-app, and a targetPort 8080 still reaches the app",
    'info: shop.yaml: document 2 (Deployment shop/web): injected metrics, git-sync',
    'info: shop.yaml: document 4 (CronJob batch/report): injected git-sync',
    'info: shop.yaml: document 5 (Pod batch/debug): unchanged (not-requested)',
  ])
  matchGoldenText(t, new URL('../golden/shop.injected.yaml', import.meta.url), output)
  const docs = parseAllDocuments(output).map((d) => d.toJS())
  const original = parseAllDocuments(manifests).map((d) => d.toJS())
  t.equal(docs.length, 5)
  t.same(
    [docs[0], docs[2]],
    [original[0], original[2]],
    'the Namespace and the Service as they were',
  )
  t.same(docs[4], original[4], 'the List, whose Pod asked for nothing, as it was')
  const web = docs[1].spec.template
  t.same(podViolations(web), [])
  t.equal(
    web.metadata.annotations['patterns/injected'],
    'metrics,git-sync',
    'the policy from the Namespace in the stream applied',
  )
  t.same(docs[1].spec.replicas, 3)
})

t.test(
  'only lines are added, and the app port renamed in place: every line of the input is in the output, in order',
  async (t) => {
    const { output } = injectText(manifests)
    const outputLines = output.split('\n')
    const name = '            - name: http\n'
    t.equal(manifests.split(name).length, 2, 'the one line that changes')
    const renamed = manifests.replace(name, '            - name: http-app\n')
    let at = 0
    for (const line of renamed.split('\n')) {
      const found = outputLines.indexOf(line, at)
      if (found === -1) t.fail(`the line ${JSON.stringify(line)} was changed`)
      at = found + 1
    }
    t.match(output, '  # pinned by Renovate\n', 'comments keep their spacing')
    t.match(output, 'command: [sh, -c, "ls /git/current"]', 'flow lists keep their style')
  },
)

t.test('running it again changes nothing', async (t) => {
  const once = injectText(manifests).output
  const twice = injectText(once)
  t.equal(twice.output, once)
  t.ok(twice.lines.every((m) => /unchanged/.test(m)))
})

t.test('a refused Pod is reported and left as it is; the others are injected', async (t) => {
  const refused = injectText(
    manifests.replace(
      'patterns/git-sync.repo: https://git.example.com/reports.git',
      'patterns/git-sync.ref: main',
    ),
  )
  t.same(
    refused.lines.filter((m) => m.startsWith('error')),
    [
      'error: shop.yaml: document 4 (CronJob batch/report): patterns/git-sync.repo: is required and missing; left as it is',
    ],
  )
  const docs = parseAllDocuments(refused.output).map((d) => d.toJS())
  t.equal(docs[3].spec.jobTemplate.spec.template.spec.initContainers, undefined, 'not injected')
  t.ok(docs[1].spec.template.spec.initContainers.length, 'the Deployment is injected all the same')

  const notAPod = injectText(
    'kind: Deployment\nmetadata: { name: x }\nspec: { template: { spec: { containers: web } } }\n',
  )
  t.match(notAPod.lines, [
    /^error: shop.yaml: document 1 \(Deployment x\): the Pod template is not a Pod: \/spec\/containers/,
  ])
})

t.test('a file that is not YAML is named by line and written as it was', async (t) => {
  const text = 'kind: Pod\n---\nkind: [Pod\n'
  const broken = injectText(text)
  t.equal(broken.output, text)
  t.match(broken.lines, [/^error: shop.yaml: document 2: line \d+: .*; the file is left as it is$/])
})

t.test(
  'several inputs: Namespaces and Services in one file count for templates in another',
  async (t) => {
    const frontend = readFileSync(
      new URL('../fixtures/manifests/real/microservices-demo-frontend.yaml', import.meta.url),
      'utf8',
    )
    const namespace = {
      name: 'namespace.yaml',
      text: 'kind: Namespace\nmetadata:\n  name: default\n  labels: {env: prod, sidecar-patterns.io/enforced: "true"}\n',
    }
    const { outputs, messages } = injectSources(
      [namespace, { name: 'frontend.yaml', text: frontend }],
      { ...options, retargetServices: true },
    )
    t.same(
      messages.map((m) => `${m.level}: ${describeWhere(m.where)}: ${m.text}`),
      [
        'warning: frontend.yaml: document 1 (Deployment frontend): patterns/metrics.port: not set; inferred app port 8080 from the only declared port',
        // The webhook's own word, which cannot see Services: here they are re-pointed below.
        'warning: frontend.yaml: document 1 (Deployment frontend): app port 8080 has no name: a Service reaches metrics only with targetPort meter-http, not 8080',
        'info: frontend.yaml: document 1 (Deployment frontend): injected metrics',
        'info: frontend.yaml: document 2 (Service frontend): targetPort 8080 re-pointed to 15080, the metrics proxy in front of Deployment frontend',
        'info: frontend.yaml: document 3 (Service frontend-external): targetPort 8080 re-pointed to 15080, the metrics proxy in front of Deployment frontend',
      ],
      'the prod-metering policy of the Namespace applies; both Services are re-pointed',
    )
    t.equal(outputs[0]?.text, namespace.text)
    matchGoldenText(
      t,
      new URL('../golden/microservices-demo-frontend.injected.yaml', import.meta.url),
      outputs[1]?.text ?? '',
    )
  },
)

checkOrphanGoldens(t, import.meta.url)
