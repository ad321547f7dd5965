// `sidecar-patterns status` against a fake cluster: Pods listed (across namespaces or in one, by
// label selector, in pages), owners resolved through ownerReferences, each Pod current, outdated
// or missing a sidecar, the exit codes, and the rollout restart kubectl would send.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { main } from '../../src/cli/main.ts'
import { MANIFEST } from '../../src/explain/webhook-source.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { TEST_CATALOG_PATH, TEST_IMAGE, testCatalog } from '../helpers/config.ts'
import type { FakeApiServer, OwnerReference } from '../helpers/fake-apiserver.ts'
import { fakeApiServerFor } from '../helpers/fake-apiserver.ts'
import { injected as injectedBy } from '../helpers/injected.ts'
import { captureIo } from '../helpers/io.ts'

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'example/web:1', ports: [{ containerPort: 8080 }] }] },
}

/** The Pod as the webhook left it in namespace shop (env=prod: metrics is required). */
const injected = (): Pod =>
  injectedBy(template, testCatalog, { name: 'shop', labels: { env: 'prod' }, annotations: {} })

const owner = (kind: string, name: string, apiVersion = 'apps/v1'): OwnerReference => ({
  apiVersion,
  kind,
  name,
  uid: `uid-${name}`,
  controller: true,
  blockOwnerDeletion: true,
})

interface PodSpec {
  pod: Pod
  owners: OwnerReference[]
  labels?: Record<string, string>
}

function createPod(api: FakeApiServer, namespace: string, name: string, spec: PodSpec) {
  const { pod, owners, labels = {} } = spec
  const metadata = { ...pod.metadata, labels: { ...(pod.metadata?.labels as object), ...labels } }
  api.create('pods', namespace, name, {
    metadata: { ...metadata, ownerReferences: owners },
    spec: pod.spec,
    status: { phase: 'Running' },
  })
}

/** A cluster with a current, an outdated and a missing Pod of one Deployment, and more. */
async function cluster(t: Test) {
  const api = await fakeApiServerFor(t)
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-status-'))
  const kubeconfig = join(dir, 'kubeconfig')
  await writeFile(kubeconfig, api.kubeConfig().exportConfig())
  const { webhooks } = parse(await readFile(MANIFEST, 'utf8'))
  api.createMutatingWebhookConfiguration('sidecar-patterns', { webhooks })
  api.createNamespace('shop', { labels: { env: 'prod', 'sidecar-patterns.io/enforced': 'true' } })
  api.createNamespace('blog')
  api.create('deployments', 'shop', 'web', { spec: { template } })
  api.create('replicasets', 'shop', 'web-5d8f9c', {
    metadata: { ownerReferences: [owner('Deployment', 'web')] },
  })
  const current = injected()
  const outdated = injected()
  if (outdated.metadata?.annotations)
    outdated.metadata.annotations['patterns/revision'] = 'metrics=0000000000'
  const bare: Pod = structuredClone(template)
  const rs = [owner('ReplicaSet', 'web-5d8f9c')]
  createPod(api, 'shop', 'web-5d8f9c-aaaaa', { pod: current, owners: rs })
  createPod(api, 'shop', 'web-5d8f9c-bbbbb', { pod: outdated, owners: rs })
  createPod(api, 'shop', 'web-5d8f9c-ccccc', { pod: bare, owners: rs })
  api.create('statefulsets', 'shop', 'db', { spec: { template } })
  createPod(api, 'shop', 'db-0', {
    pod: outdated,
    owners: [owner('StatefulSet', 'db')],
    labels: { role: 'db' },
  })
  api.create('jobs', 'shop', 'report-1', {
    metadata: { ownerReferences: [owner('CronJob', 'report', 'batch/v1')] },
  })
  createPod(api, 'shop', 'report-1-xyz', {
    pod: outdated,
    owners: [owner('Job', 'report-1', 'batch/v1')],
  })
  createPod(api, 'blog', 'static', { pod: bare, owners: [] })
  const base = [
    'status',
    '--kubeconfig',
    kubeconfig,
    '--config',
    TEST_CATALOG_PATH,
    '--image',
    TEST_IMAGE,
  ]
  return { api, base }
}

const requested = (api: FakeApiServer) =>
  api.requests().map((r) => {
    const query = new URLSearchParams(r.query).toString()
    return `${r.method} ${r.path}${query ? `?${query}` : ''}`
  })

t.test('every namespace: per owner, current, outdated and missing; exit 4', async (t) => {
  const { api, base } = await cluster(t)
  const run = captureIo()
  t.equal(await main([...base, '-o', 'json'], run.io), 4, run.err())
  const report = JSON.parse(run.out())
  t.same(report.counts, { current: 1, outdated: 3, missing: 1, 'out-of-scope': 1 })
  t.same(
    report.owners.map(
      (o: { namespace: string; owner: { kind: string; name: string }; counts: object }) => [
        `${o.namespace} ${o.owner.kind}/${o.owner.name}`,
        o.counts,
      ],
    ),
    [
      ['shop CronJob/report', { current: 0, outdated: 1, missing: 0, 'out-of-scope': 0 }],
      ['shop Deployment/web', { current: 1, outdated: 1, missing: 1, 'out-of-scope': 0 }],
      ['shop StatefulSet/db', { current: 0, outdated: 1, missing: 0, 'out-of-scope': 0 }],
    ],
  )
  const web = report.owners[1].pods
  t.match(web[1], {
    name: 'web-5d8f9c-bbbbb',
    state: 'outdated',
    outdated: [{ sidecar: 'metrics', recorded: '0000000000', today: /^[0-9a-f]{10}$/ }],
  })
  t.match(web[2], { name: 'web-5d8f9c-ccccc', state: 'missing', missing: ['metrics'] })
  const calls = requested(api)
  t.equal(
    calls[1],
    'GET /api/v1/pods?limit=500',
    'after the webhook configuration, the Pods of every namespace, a page at a time',
  )
  t.equal(
    calls[0],
    'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sidecar-patterns',
  )
  t.equal(
    calls.filter((c) => c === 'GET /apis/apps/v1/namespaces/shop/replicasets/web-5d8f9c').length,
    1,
    'the ReplicaSet of three Pods read once, for its Deployment',
  )
  t.ok(
    calls.includes('GET /apis/batch/v1/namespaces/shop/jobs/report-1'),
    'the Job, for its CronJob',
  )
  t.notOk(
    calls.some((c) => c.startsWith('PATCH')),
    'nothing written',
  )
})

t.test('one namespace, by label selector; the text report', async (t) => {
  const { api, base } = await cluster(t)
  const run = captureIo()
  t.equal(await main([...base, '-n', 'shop', '-l', 'app=web'], run.io), 4)
  t.equal(requested(api)[1], 'GET /api/v1/namespaces/shop/pods?labelSelector=app%3Dweb&limit=500')
  const text = run.out()
  t.match(
    text,
    /^catalog: \S+catalog\.yaml, image \S+:0\.0\.0-test\n\nNAMESPACE {2}OWNER {11}CURRENT {2}OUTDATED {2}MISSING\n/,
  )
  t.match(text, /\nshop {7}Deployment\/web {2}1 {8}1 {9}1\n/)
  t.match(
    text,
    /\n {2}web-5d8f9c-bbbbb {2}outdated metrics \(recorded 0000000000, today [0-9a-f]{10}\)\n/,
  )
  t.match(text, /\n {2}web-5d8f9c-ccccc {2}missing metrics\n/)
  t.match(text, /\n5 Pods in scope: 1 current, 3 outdated, 1 missing; 0 out of scope\n$/)
})

t.test('only outdated Pods: exit 3; none in scope: exit 0', async (t) => {
  const { base } = await cluster(t)
  t.equal(await main([...base, '-n', 'shop', '-l', 'role=db'], captureIo().io), 3)
  const blog = captureIo()
  t.equal(await main([...base, '-n', 'blog'], blog.io), 0)
  t.match(blog.out(), /\n\n0 Pods in scope: 0 current, 0 outdated, 0 missing; 1 out of scope\n$/)
})

t.test('--restart prints the plan and writes nothing', async (t) => {
  const { api, base } = await cluster(t)
  const run = captureIo()
  t.equal(await main([...base, '--restart'], run.io), 4)
  t.match(
    run.out(),
    /\n\nwould restart \(run again with --yes to do it\):\n {2}cronjob\/report -n shop: not restarted: a CronJob has no rollout; delete its Pods to renew them\n {2}deployment\/web -n shop\n {2}statefulset\/db -n shop\n$/,
  )
  t.notOk(requested(api).some((c) => c.startsWith('PATCH')))
})

t.test(
  '--restart --yes: the PATCH kubectl rollout restart sends, one owner at a time',
  async (t) => {
    const { api, base } = await cluster(t)
    const run = captureIo()
    t.equal(await main([...base, '--restart', '--yes', '--restart-interval', '0s'], run.io), 4)
    const patches = api.requests().filter((r) => r.method === 'PATCH')
    t.same(
      patches.map((r) => [r.path, r.query, r.contentType, r.status]),
      [
        [
          '/apis/apps/v1/namespaces/shop/deployments/web',
          { fieldManager: 'sidecar-patterns' },
          'application/strategic-merge-patch+json',
          200,
        ],
        [
          '/apis/apps/v1/namespaces/shop/statefulsets/db',
          { fieldManager: 'sidecar-patterns' },
          'application/strategic-merge-patch+json',
          200,
        ],
      ],
    )
    for (const [plural, name] of [
      ['deployments', 'web'],
      ['statefulsets', 'db'],
    ] as const) {
      const spec = api.get(plural, 'shop', name)?.spec as {
        template: typeof template & { metadata: { annotations?: Record<string, string> } }
      }
      t.match(
        spec.template.metadata.annotations,
        { 'kubectl.kubernetes.io/restartedAt': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ },
        `${plural}/${name}`,
      )
      t.same(spec.template.metadata.labels, { app: 'web' }, 'the rest of the template kept')
    }
    t.match(run.err(), /deployment\/web -n shop restarted\nstatefulset\/db -n shop restarted\n/)
  },
)

t.test('a paused Deployment is refused as kubectl refuses it; exit 1', async (t) => {
  const { api, base } = await cluster(t)
  api.create('deployments', 'blog', 'paused', { spec: { paused: true, template } })
  api.create('replicasets', 'blog', 'paused-1', {
    metadata: { ownerReferences: [owner('Deployment', 'paused')] },
  })
  const old = injected()
  if (old.metadata?.annotations)
    old.metadata.annotations['patterns/revision'] = 'metrics=0000000000'
  createPod(api, 'blog', 'paused-1-a', { pod: old, owners: [owner('ReplicaSet', 'paused-1')] })
  const run = captureIo()
  t.equal(
    await main([...base, '-n', 'blog', '--restart', '--yes', '--restart-interval', '0s'], run.io),
    1,
  )
  t.match(
    run.err(),
    /error: deployment\/paused -n blog: can't restart paused deployment \(run rollout resume first\)/,
  )
  t.notOk(api.requests().some((r) => r.method === 'PATCH'))
})

t.test('bad flags exit 2', async (t) => {
  const yes = captureIo()
  t.equal(await main(['status', '--yes'], yes.io), 2)
  t.match(yes.err(), /--yes goes with --restart/)
  const interval = captureIo()
  t.equal(await main(['status', '--restart', '--restart-interval', '10'], interval.io), 2)
  t.match(interval.err(), /--restart-interval: "10" is not a duration/)
  const output = captureIo()
  t.equal(await main(['status', '-o', 'yaml'], output.io), 2)
  t.match(output.err(), /--output: "yaml" is not text or json/)
})

t.test('today’s catalog is the one the cluster’s webhook injects from', async (t) => {
  const { api, base } = await cluster(t)
  api.createObject('configMaps', 'sidecar-patterns', 'sidecar-patterns-catalog', {
    data: { 'catalog.yaml': await readFile(TEST_CATALOG_PATH, 'utf8') },
  })
  api.createObject('deployments', 'sidecar-patterns', 'sidecar-patterns', {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'webhook',
              image: 'example/other:1',
              env: [{ name: 'SELF_IMAGE', value: TEST_IMAGE }],
            },
          ],
        },
      },
    },
  })
  const [command, , kubeconfig] = base
  const run = captureIo()
  t.equal(
    await main([command ?? '', '--kubeconfig', kubeconfig ?? '', '-o', 'json'], run.io),
    4,
    run.err(),
  )
  const report = JSON.parse(run.out())
  t.same(report.catalog, {
    from: 'ConfigMap sidecar-patterns/sidecar-patterns-catalog',
    image: TEST_IMAGE,
  })
  t.same(
    report.counts,
    { current: 1, outdated: 3, missing: 1, 'out-of-scope': 1 },
    'as with --config',
  )
  const calls = requested(api)
  t.ok(calls.includes('GET /apis/apps/v1/namespaces/sidecar-patterns/deployments/sidecar-patterns'))
  t.ok(
    calls.includes('GET /api/v1/namespaces/sidecar-patterns/configmaps/sidecar-patterns-catalog'),
  )

  // Another image for {{self.image}}: every metrics sidecar rendered under the old one is outdated.
  const other = captureIo()
  await main(
    [command ?? '', '--kubeconfig', kubeconfig ?? '', '--image', 'example/sp:2', '-o', 'json'],
    other.io,
  )
  t.same(JSON.parse(other.out()).counts, { current: 0, outdated: 4, missing: 1, 'out-of-scope': 1 })
})

t.test('without the webhook’s Deployment, and no --image, nothing can be compared', async (t) => {
  const { base } = await cluster(t)
  const [command, , kubeconfig] = base
  const run = captureIo()
  t.equal(await main([command ?? '', '--kubeconfig', kubeconfig ?? ''], run.io), 1)
  t.match(run.err(), /deployment sidecar-patterns\/sidecar-patterns: not found; give --image/)
})

t.test('the catalog is found as the webhook’s Deployment starts it', async (t) => {
  const webhookDeployment = (container: Record<string, unknown>) => ({
    spec: { template: { spec: { containers: [{ name: 'webhook', ...container }] } } },
  })
  const run = async (container: Record<string, unknown>) => {
    const { api, base } = await cluster(t)
    api.createObject(
      'deployments',
      'sidecar-patterns',
      'sidecar-patterns',
      webhookDeployment(container),
    )
    const [command, , kubeconfig] = base
    const io = captureIo()
    const code = await main([command ?? '', '--kubeconfig', kubeconfig ?? '', '-o', 'json'], io.io)
    return { code, io }
  }

  // As manifests/base starts it: --config names the ConfigMap's file, and a Pod that cannot
  // mount it does not start, so the built-in catalog is not what it injects from.
  const mounted = await run({
    image: TEST_IMAGE,
    args: ['serve', '--config=/etc/sidecar-patterns/catalog.yaml'],
  })
  t.equal(mounted.code, 1)
  t.match(
    mounted.io.err(),
    /ConfigMap sidecar-patterns\/sidecar-patterns-catalog: not found, and deployment sidecar-patterns\/sidecar-patterns reads its catalog from it \(--config\)/,
  )

  // Started without --config, the webhook injects from its built-in catalog.
  const builtIn = await run({ image: TEST_IMAGE, args: ['serve'] })
  t.equal(builtIn.code, 3, `compared, not refused: ${builtIn.io.err()}`)
  t.same(JSON.parse(builtIn.io.out()).catalog, {
    from: 'the built-in catalog (the webhook runs without --config)',
    image: TEST_IMAGE,
  })

  // A Deployment whose webhook names no image cannot say which one fills {{self.image}}.
  const imageless = await run({ args: ['serve'] })
  t.equal(imageless.code, 1)
  t.match(
    imageless.io.err(),
    /deployment sidecar-patterns\/sidecar-patterns: its webhook container names no image; give --image/,
  )
})
