// The fake API server's Pods and workloads, as `explain` and `status` read them and as
// `status --restart` patches them: the paths of the API reference, lists by label selector and in
// pages, across namespaces, and the strategic merge patch `kubectl rollout restart` sends.
import t from 'tap'
import { fakeWithClient } from '../helpers/fake-apiserver-client.ts'

const pod = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [] } })

t.test('Pods and workloads live at the paths of their API groups', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.create('deployments', 'shop', 'web', { spec: { replicas: 2 } })
  fake.create('statefulsets', 'shop', 'db', {})
  fake.create('daemonsets', 'shop', 'agent', {})
  fake.create('replicasets', 'shop', 'web-5d8f9c', {})
  fake.create('jobs', 'batch', 'report-1', {})
  fake.create('cronjobs', 'batch', 'report', {})
  fake.create('pods', 'shop', 'web-5d8f9c-x2x7q', pod({}))
  const paths = {
    '/apis/apps/v1/namespaces/shop/deployments/web': ['Deployment', 'apps/v1'],
    '/apis/apps/v1/namespaces/shop/statefulsets/db': ['StatefulSet', 'apps/v1'],
    '/apis/apps/v1/namespaces/shop/daemonsets/agent': ['DaemonSet', 'apps/v1'],
    '/apis/apps/v1/namespaces/shop/replicasets/web-5d8f9c': ['ReplicaSet', 'apps/v1'],
    '/apis/batch/v1/namespaces/batch/jobs/report-1': ['Job', 'batch/v1'],
    '/apis/batch/v1/namespaces/batch/cronjobs/report': ['CronJob', 'batch/v1'],
    '/api/v1/namespaces/shop/pods/web-5d8f9c-x2x7q': ['Pod', 'v1'],
  }
  for (const [path, [kind, apiVersion]] of Object.entries(paths))
    t.match(await client.json('GET', path), { status: 200, json: { kind, apiVersion } }, path)
  t.match(await client.json('GET', '/apis/apps/v1/namespaces/blog/deployments/web'), {
    status: 404,
    json: { message: 'deployments.apps "web" not found', details: { group: 'apps' } },
  })
})

t.test('lists select by label, as labels.Parse reads a selector', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.create('pods', 'shop', 'a', pod({ app: 'web', tier: 'front' }))
  fake.create('pods', 'shop', 'b', pod({ app: 'web' }))
  fake.create('pods', 'shop', 'c', pod({ app: 'db', release: '3' }))
  fake.create('pods', 'blog', 'd', pod({ app: 'web' }))
  const names = async (query: string) => {
    const { json } = await client.json('GET', `/api/v1/namespaces/shop/pods?${query}`)
    return (json as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)
  }
  const selector = (s: string) => `labelSelector=${encodeURIComponent(s)}`
  t.same(await names(selector('app=web')), ['a', 'b'], 'equality, in one namespace')
  t.same(await names(selector('app==web,tier')), ['a'], '== and exists')
  t.same(await names(selector('app!=web')), ['c'])
  t.same(await names(selector('!tier')), ['b', 'c'], 'does not exist')
  t.same(await names(selector('app in (db, web),tier notin (front)')), ['b', 'c'])
  t.same(await names(selector('release>2')), ['c'], 'greater than, as an integer')
  t.same(await names(selector('')), ['a', 'b', 'c'], 'empty: everything')
  t.match(await client.json('GET', `/api/v1/namespaces/shop/pods?${selector('app in web')}`), {
    status: 400,
    json: { reason: 'BadRequest', message: /^unable to parse requirement/ },
  })
  const everywhere = await client.json('GET', `/api/v1/pods?${selector('app=web')}`)
  t.match(everywhere, { status: 200, json: { kind: 'PodList', apiVersion: 'v1' } })
  t.same(
    (everywhere.json as { items: { metadata: { namespace: string; name: string } }[] }).items.map(
      (i) => `${i.metadata.namespace}/${i.metadata.name}`,
    ),
    ['blog/d', 'shop/a', 'shop/b'],
    'across namespaces, in key order',
  )
})

t.test('lists come in pages of limit, the rest behind a continue token', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  for (const name of ['a', 'b', 'c', 'd', 'e']) fake.create('pods', 'shop', name, pod({}))
  type Page = {
    metadata: { continue?: string; remainingItemCount?: number; resourceVersion: string }
    items: { metadata: { name: string } }[]
  }
  const first = (await client.json('GET', '/api/v1/namespaces/shop/pods?limit=2')).json as Page
  t.same(
    first.items.map((i) => i.metadata.name),
    ['a', 'b'],
  )
  t.equal(first.metadata.remainingItemCount, 3)
  const token = first.metadata.continue ?? ''
  const second = (
    await client.json('GET', `/api/v1/namespaces/shop/pods?limit=2&continue=${token}`)
  ).json as Page
  t.same(
    second.items.map((i) => i.metadata.name),
    ['c', 'd'],
  )
  t.equal(second.metadata.resourceVersion, first.metadata.resourceVersion, 'the first page’s')
  const last = (
    await client.json(
      'GET',
      `/api/v1/namespaces/shop/pods?limit=2&continue=${second.metadata.continue}`,
    )
  ).json as Page
  t.same(
    last.items.map((i) => i.metadata.name),
    ['e'],
  )
  t.notOk('continue' in last.metadata, 'no token after the last page')
  fake.compact()
  t.match(await client.json('GET', `/api/v1/namespaces/shop/pods?limit=2&continue=${token}`), {
    status: 410,
    json: { reason: 'Expired' },
  })
  t.match(await client.json('GET', '/api/v1/namespaces/shop/pods?continue=x'), { status: 400 })
})

t.test('a rollout restart: the strategic merge patch kubectl sends', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.create('deployments', 'shop', 'web', {
    spec: { template: { metadata: { annotations: { keep: 'me' } }, spec: { containers: [] } } },
  })
  const body = {
    spec: {
      template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } },
    },
  }
  const answer = await client.json(
    'PATCH',
    '/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=kubectl-rollout',
    { body, contentType: 'application/strategic-merge-patch+json' },
  )
  t.match(answer, { status: 200, json: { kind: 'Deployment' } })
  t.same(
    (fake.get('deployments', 'shop', 'web')?.spec as { template?: unknown } | undefined)?.template,
    {
      metadata: { annotations: { keep: 'me', 'kubectl.kubernetes.io/restartedAt': 'now' } },
      spec: { containers: [] },
    },
    'maps merge key by key',
  )
  const withList = { spec: { template: { spec: { containers: [{ name: 'x' }] } } } }
  t.match(
    await client.json('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web', {
      body: withList,
      contentType: 'application/strategic-merge-patch+json',
    }),
    { status: 501 },
    'lists merge by patchMergeKey, which the fake does not do',
  )
  t.match(
    await client.json('PATCH', '/api/v1/namespaces/shop/pods/web', {
      body,
      contentType: 'application/merge-patch+json',
    }),
    { status: 501 },
    'Pods are read-only here',
  )
})
