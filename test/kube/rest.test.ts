// The plain-JSON REST client: objects as the API server sends them, 404 as undefined, errors with
// the Status message, and lists fetched in pages until no continue token is left.
import t from 'tap'
import { ApiError, PAGE_SIZE, restClient } from '../../src/kube/rest.ts'
import { fakeApiServerFor } from '../helpers/fake-apiserver.ts'

t.test('get: the object as sent, undefined for 404, ApiError otherwise', async (t) => {
  const api = await fakeApiServerFor(t)
  api.createNamespace('shop', { annotations: { 'patterns/sidecar': 'metrics' } })
  const rest = restClient(api.kubeConfig(), AbortSignal.timeout(30_000))
  t.match(await rest.get('/api/v1/namespaces/shop'), {
    kind: 'Namespace',
    metadata: {
      name: 'shop',
      creationTimestamp: /Z$/,
      annotations: { 'patterns/sidecar': 'metrics' },
    },
  })
  t.equal(await rest.get('/api/v1/namespaces/blog'), undefined)
  const denied = restClient(api.kubeConfig({ token: 'wrong' }), AbortSignal.timeout(30_000))
  await t.rejects(
    denied.get('/api/v1/namespaces/shop'),
    new ApiError(401, 'GET /api/v1/namespaces/shop: 401 Unauthorized'),
  )
})

t.test('list: every page, PAGE_SIZE at a time', async (t) => {
  const api = await fakeApiServerFor(t)
  const count = PAGE_SIZE * 2 + 1
  for (let i = 0; i < count; i++)
    api.create('pods', 'shop', `p-${String(i).padStart(4, '0')}`, { spec: { containers: [] } })
  const rest = restClient(api.kubeConfig(), AbortSignal.timeout(30_000))
  const items = (await rest.list('/api/v1/namespaces/shop/pods')) as {
    metadata: { name: string }
  }[]
  t.equal(items.length, count)
  t.equal(new Set(items.map((i) => i.metadata.name)).size, count, 'each once')
  const pages = api.requests().filter((r) => r.path === '/api/v1/namespaces/shop/pods')
  t.same(
    pages.map((r) => [r.query.limit, 'continue' in r.query]),
    [
      [String(PAGE_SIZE), false],
      [String(PAGE_SIZE), true],
      [String(PAGE_SIZE), true],
    ],
  )
})
