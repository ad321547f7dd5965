// `sidecar-patterns explain`, in-process: manifests offline against the shipped webhook
// configuration, and a live workload read from a (fake) cluster with the cluster's configuration.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { main } from '../../src/cli/main.ts'
import { MANIFEST } from '../../src/explain/webhook-source.ts'
import { fakeApiServerFor } from '../helpers/fake-apiserver.ts'
import { captureIo } from '../helpers/io.ts'

const SHOP = new URL('../fixtures/manifests/shop.yaml', import.meta.url).pathname
const REPO = 'https://github.com/example/site.git'

t.test('manifests: one paragraph per Pod template, against manifests/base', async (t) => {
  const run = captureIo()
  t.equal(await main(['explain', '-f', SHOP, '--image', 'example/sp:1'], run.io), 0)
  const text = run.out()
  t.match(text, /^Deployment shop\/web \(Pod template\)\n/)
  t.match(text, /webhook entries \(from manifests\/base\/mutatingwebhookconfiguration\.yaml\):/)
  t.match(
    text,
    /\n {2}enforced\.sidecar-patterns\.io {2}called \(failurePolicy Fail\): its selectors and rules select the Pod's CREATE\n/,
  )
  t.match(text, /\nPod batch\/debug\n/)
  t.match(
    text,
    /\nno entry is sent this Pod: the API server creates it as it is, without sidecars\n/,
  )
  t.match(text, /\ndecision \(were the webhook sent the Pod\): skip \(not-requested\)\n/)
})

t.test('-o json, from standard input, with Namespace objects of the input', async (t) => {
  const input = `apiVersion: v1
kind: Namespace
metadata:
  name: media
  labels: { sidecar-patterns.io/defaults: "true" }
  annotations: { patterns/sidecar: metrics }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: media }
spec:
  template:
    spec:
      containers: [{ name: db, image: example/db:1, ports: [{ containerPort: 5432 }] }]
`
  const run = captureIo(input)
  t.equal(await main(['explain', '-f', '-', '-o', 'json'], run.io), 0)
  const { pods } = JSON.parse(run.out())
  t.equal(pods.length, 1)
  t.match(pods[0], {
    subject: 'StatefulSet media/db (Pod template)',
    namespace: { name: 'media', source: 'input' },
    webhooks: { calledBy: ['defaults.sidecar-patterns.io'] },
    decision: { action: 'inject', sidecars: ['metrics'] },
    appPort: { port: 5432, from: 'inferred from the only declared port' },
  })
  t.match(pods[0].sidecars[0], {
    name: 'metrics',
    verdict: 'injected',
    askedBy: [{ by: 'namespace', namespace: 'media' }],
  })
})

t.test('bad flags exit 2 and say why', async (t) => {
  const neither = captureIo()
  t.equal(await main(['explain'], neither.io), 2)
  t.match(neither.err(), /give either -f FILE or KIND\/NAME/)
  const both = captureIo()
  t.equal(await main(['explain', '-f', SHOP, 'deploy/web', 'extra'], both.io), 2)
  t.match(both.err(), /unexpected argument "extra"/)
  const kind = captureIo()
  t.equal(await main(['explain', 'service/web'], kind.io), 2)
  t.match(kind.err(), /"service\/web" is not KIND\/NAME/)
  const output = captureIo()
  t.equal(await main(['explain', '-f', SHOP, '-o', 'yaml'], output.io), 2)
  t.match(output.err(), /--output: "yaml" is not text or json/)
})

async function kubeconfigFor(t: Test) {
  const api = await fakeApiServerFor(t)
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-explain-'))
  const kubeconfig = join(dir, 'kubeconfig')
  await writeFile(kubeconfig, api.kubeConfig().exportConfig())
  return { api, kubeconfig }
}

t.test('a live Deployment, its namespace and the cluster’s configuration', async (t) => {
  const { api, kubeconfig } = await kubeconfigFor(t)
  api.createNamespace('shop', { labels: { 'sidecar-patterns.io/enforced': 'true' } })
  const configuration = parse(await readFile(MANIFEST, 'utf8'))
  api.createMutatingWebhookConfiguration('sidecar-patterns', { webhooks: configuration.webhooks })
  api.create('deployments', 'shop', 'web', {
    spec: {
      template: {
        metadata: {
          labels: { app: 'web' },
          annotations: { 'patterns/sidecar': 'git-sync', 'patterns/git-sync.repo': REPO },
        },
        spec: { containers: [{ name: 'web', image: 'example/web:1' }] },
      },
    },
  })
  const run = captureIo()
  const args = [
    'explain',
    '-n',
    'shop',
    'deploy/web',
    '--kubeconfig',
    kubeconfig,
    '--image',
    'example/sp:1',
    '-o',
    'json',
  ]
  t.equal(await main(args, run.io), 0, run.err())
  const [explained] = JSON.parse(run.out()).pods
  t.match(explained, {
    subject: 'Deployment shop/web (Pod template)',
    namespace: {
      name: 'shop',
      source: 'cluster',
      labels: { 'sidecar-patterns.io/enforced': 'true' },
    },
    webhooks: {
      from: "the cluster's MutatingWebhookConfiguration sidecar-patterns",
      calledBy: ['enforced.sidecar-patterns.io'],
    },
    decision: { action: 'inject', sidecars: ['git-sync'] },
  })
  t.same(
    api.requests().map((r) => `${r.method} ${r.path}`),
    [
      'GET /api/v1/namespaces/sidecar-patterns/configmaps/sidecar-patterns-catalog',
      'GET /apis/apps/v1/namespaces/shop/deployments/web',
      'GET /api/v1/namespaces/shop',
      'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sidecar-patterns',
    ],
    'the paths of the API reference, one GET each (the catalog first: --image is given)',
  )

  // An operator's overlay narrowed the enforced entry: explain reads what the cluster has.
  const narrowed = configuration.webhooks.map((w: { name: string }) =>
    w.name === 'enforced.sidecar-patterns.io'
      ? { ...w, objectSelector: { matchLabels: { 'sidecar-patterns.io/inject': 'true' } } }
      : w,
  )
  api.replaceMutatingWebhookConfiguration('sidecar-patterns', { webhooks: narrowed })
  const again = captureIo()
  t.equal(
    await main(
      [
        'explain',
        '-n',
        'shop',
        'deploy/web',
        '--kubeconfig',
        kubeconfig,
        '--image',
        'example/sp:1',
      ],
      again.io,
    ),
    0,
  )
  t.match(
    again.out(),
    /enforced\.sidecar-patterns\.io {2}not called: its objectSelector does not select the Pod's labels/,
  )
  t.match(
    again.out(),
    /git-sync {2}not injected: no webhook entry is sent the Pod; asked for by the Pod/,
  )
})

t.test('a live object or configuration that is not there', async (t) => {
  const { api, kubeconfig } = await kubeconfigFor(t)
  api.createNamespace('shop')
  const missing = captureIo()
  await t.rejects(
    main(
      ['explain', '-n', 'shop', 'sts/db', '--kubeconfig', kubeconfig, '--image', 'example/sp:1'],
      missing.io,
    ),
    /StatefulSet shop\/db not found/,
  )
  api.create('pods', 'shop', 'web-1', {
    metadata: { annotations: { 'patterns/sidecar': 'metrics' } },
    spec: { containers: [{ name: 'web', image: 'example/web:1' }] },
  })
  const run = captureIo()
  t.equal(
    await main(
      ['explain', '-n', 'shop', 'pod/web-1', '--kubeconfig', kubeconfig, '--image', 'example/sp:1'],
      run.io,
    ),
    0,
  )
  t.match(run.out(), /^Pod shop\/web-1\n/)
  t.match(
    run.out(),
    /webhook entries \(from the cluster, which has no MutatingWebhookConfiguration sidecar-patterns\):\n {2}none\n/,
  )
  t.match(
    run.out(),
    /decision \(were the webhook sent the Pod\): deny: patterns\/metrics\.port: needed: the app declares no TCP port/,
  )
})

t.test('manifests with a kubeconfig: the cluster’s namespaces and configuration', async (t) => {
  const { api, kubeconfig } = await kubeconfigFor(t)
  api.createNamespace('media', {
    labels: { 'sidecar-patterns.io/defaults': 'true' },
    annotations: { 'patterns/sidecar': 'metrics' },
  })
  const configuration = parse(await readFile(MANIFEST, 'utf8'))
  api.createMutatingWebhookConfiguration('sidecar-patterns', { webhooks: configuration.webhooks })
  const input = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: media }
spec:
  template:
    spec:
      containers: [{ name: web, image: example/web:1, ports: [{ containerPort: 8080 }] }]
`
  const run = captureIo(input)
  t.equal(
    await main(
      ['explain', '-f', '-', '--kubeconfig', kubeconfig, '--image', 'example/sp:1', '-o', 'json'],
      run.io,
    ),
    0,
  )
  const [explained] = JSON.parse(run.out()).pods
  t.match(explained, {
    namespace: { name: 'media', source: 'cluster' },
    webhooks: { calledBy: ['defaults.sidecar-patterns.io'] },
    decision: { action: 'inject', sidecars: ['metrics'] },
  })
  t.same(
    api.requests().map((r) => `${r.method} ${r.path}`),
    [
      'GET /api/v1/namespaces/sidecar-patterns/configmaps/sidecar-patterns-catalog',
      'GET /api/v1/namespaces/media',
      'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sidecar-patterns',
    ],
  )
})
