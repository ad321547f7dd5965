// `sidecar-patterns inject`: the webhook's decision and patch on the Pod templates of a
// multi-document YAML stream; every other document, field and comment is kept.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { injectDocuments } from '../../src/offline/inject-documents.ts'
import { testCatalog } from '../helpers/config.ts'
import { checkOrphanGoldens, matchGoldenText } from '../helpers/golden.ts'
import { podViolations } from '../helpers/pod-invariants.ts'

const manifests = readFileSync(new URL('../fixtures/manifests/shop.yaml', import.meta.url), 'utf8')
const options = { catalog: testCatalog, namespace: 'default' }

t.test('injects every Pod template and keeps everything else', async (t) => {
  const { output, messages } = injectDocuments(manifests, options)
  if (output === undefined) throw new Error(JSON.stringify(messages))
  t.same(
    messages.map((m) => `${m.level}: ${m.where}: ${m.text}`),
    [
      'warning: document 2 (Deployment shop/web): patterns/metrics.port: not set; inferred app port 8080 from the only declared port',
      "warning: document 2 (Deployment shop/web): metrics takes over port name http, so Services that target it reach metrics (15080); the app's port 8080 is renamed http-app, and a targetPort 8080 still reaches the app",
      'info: document 2 (Deployment shop/web): injected metrics, git-sync',
      'info: document 4 (CronJob batch/report): injected git-sync',
      'info: document 5 (Pod batch/debug): unchanged (not-requested)',
    ],
  )
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
  t.match(output, '# pinned by Renovate', 'comments inside an injected template are kept')
  t.match(output, '# the prod-metering policy requires metrics here', 'and elsewhere')
  const web = docs[1].spec.template
  t.same(podViolations(web), [])
  t.equal(
    web.metadata.annotations['patterns/injected'],
    'metrics,git-sync',
    'the policy from the Namespace in the stream applied',
  )
  t.same(docs[1].spec.replicas, 3)
})

t.test('running it again changes nothing', async (t) => {
  const once = injectDocuments(manifests, options).output ?? ''
  const twice = injectDocuments(once, options)
  t.equal(twice.output, once)
  t.ok(twice.messages.every((m) => /unchanged/.test(m.text)))
})

t.test('refusals and bad YAML name the document; nothing is written', async (t) => {
  const refused = injectDocuments(
    manifests.replace(
      'patterns/git-sync.repo: https://git.example.com/reports.git',
      'patterns/git-sync.ref: main',
    ),
    options,
  )
  t.equal(refused.output, undefined)
  t.match(
    refused.messages.filter((m) => m.level === 'error'),
    [
      {
        level: 'error',
        where: 'document 4 (CronJob batch/report)',
        text: 'patterns/git-sync.repo: is required and missing',
      },
    ],
  )
  const broken = injectDocuments('kind: Pod\n---\nkind: [Pod\n', options)
  t.equal(broken.output, undefined)
  t.match(broken.messages, [{ level: 'error', where: 'document 2', text: /^line \d+: / }])
  const notAPod = injectDocuments(
    'kind: Deployment\nmetadata: { name: x }\nspec: { template: { spec: { containers: web } } }\n',
    options,
  )
  t.match(notAPod.messages, [
    {
      level: 'error',
      where: 'document 1 (Deployment x)',
      text: /the Pod template is not a Pod: \/spec\/containers/,
    },
  ])
})

checkOrphanGoldens(t, import.meta.url)
