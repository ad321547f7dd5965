// The fake API server itself, where the informer's behaviour depends on it being faithful:
// authentication, the Status bodies of the real API server (k8s.io/apimachinery
// pkg/api/errors), the answers of its router, list and get shapes. Watches are in
// fake-apiserver-watch.test.ts.
import t from 'tap'
import { fakeWithClient } from '../helpers/fake-apiserver-client.ts'
import { authorizationOf } from '../helpers/fake-apiserver-rbac.ts'

const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' } as const

t.test('refuses requests without the bearer token with a 401 Status', async (t) => {
  const { client } = await fakeWithClient(t)
  const unauthorized = { ...failure, message: 'Unauthorized', reason: 'Unauthorized', code: 401 }
  t.same(await client.json('GET', '/api/v1/namespaces', { token: null }), {
    status: 401,
    json: unauthorized,
  })
  t.same(await client.json('GET', '/api/v1/namespaces', { token: 'wrong' }), {
    status: 401,
    json: unauthorized,
  })
})

t.test('answers a missing namespace with errors.NewNotFound: no group for core', async (t) => {
  const { client } = await fakeWithClient(t)
  const answer = await client.send('GET', '/api/v1/namespaces/x')
  t.equal(answer.contentType, 'application/json')
  t.same(JSON.parse(answer.text), {
    ...failure,
    message: 'namespaces "x" not found',
    reason: 'NotFound',
    details: { name: 'x', kind: 'namespaces' },
    code: 404,
  })
  t.equal(
    answer.text,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"namespaces"},"code":404}',
    'the keys in metav1.Status order, byte for byte',
  )
})

t.test('answers what its router refuses as go-restful and the API server do', async (t) => {
  const { client } = await fakeWithClient(t)
  const generic = (code: number, reason: string, message: string) => ({
    ...failure,
    message,
    reason,
    details: {},
    code,
  })
  t.same(
    await client.json('GET', '/api/v1/widgets'),
    {
      status: 404,
      json: generic(404, 'NotFound', 'the server could not find the requested resource'),
    },
    'an unknown resource under /api/v1',
  )
  t.same(
    await client.json('POST', '/api/v1/namespaces/x', { body: {} }),
    {
      status: 405,
      json: generic(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      ),
    },
    'a method the path never takes',
  )
  t.same(
    await client.send('GET', '/apis/unknown.example.com/v1/things'),
    { status: 404, contentType: 'text/plain; charset=utf-8', text: '404 page not found\n' },
    'outside every API group: Go http.NotFound',
  )
})

t.test('answers 501 for what the real API server serves and the fake does not', async (t) => {
  const { client } = await fakeWithClient(t)
  for (const path of [
    '/api/v1/secrets?watch=true',
    '/api/v1/namespaces?watch=1&labelSelector=team%3Da',
    '/api/v1/namespaces?fieldSelector=metadata.name%3Da',
    '/api/v1/namespaces?watch=true&limit=10',
    '/api/v1/namespaces?resourceVersion=1&resourceVersionMatch=Exact',
  ]) {
    t.match(
      await client.json('GET', path),
      { status: 501, json: { reason: 'NotImplemented' } },
      path,
    )
  }
  t.match(await client.json('DELETE', '/api/v1/namespaces/x'), { status: 501 }, 'delete')
})

t.test('lists untyped items under the current resourceVersion; gets typed objects', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  t.same(
    await client.json('GET', '/api/v1/namespaces'),
    {
      status: 200,
      json: {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1' },
        items: [],
      },
    },
    'an empty list has items: []',
  )
  fake.createNamespace('team-a', { labels: { team: 'a' }, annotations: { owner: 'x' } })
  const listed = await client.json('GET', '/api/v1/namespaces?watch=false')
  t.match(listed.json, {
    kind: 'NamespaceList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '2' },
    items: [
      {
        metadata: {
          name: 'team-a',
          resourceVersion: '2',
          labels: { team: 'a', 'kubernetes.io/metadata.name': 'team-a' },
          annotations: { owner: 'x' },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      },
    ],
  })
  const [item] = (listed.json as { items: object[] }).items
  t.notOk(item && 'kind' in item, 'list items carry no kind, as the real API sends them')
  const got = await client.json('GET', '/api/v1/namespaces/team-a')
  t.match(got, { status: 200, json: { kind: 'Namespace', apiVersion: 'v1' } })
})

t.test('fails the next requests on demand with errors.NewInternalError', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.failNext(1)
  t.same(await client.json('GET', '/api/v1/namespaces'), {
    status: 500,
    json: {
      ...failure,
      message: 'Internal error occurred: injected by the test',
      reason: 'InternalError',
      details: { causes: [{ message: 'injected by the test' }] },
      code: 500,
    },
  })
  t.match(await client.json('GET', '/api/v1/namespaces'), { status: 200 })
  t.same(
    fake.requests().map((r) => [r.method, r.path, r.query, r.status]),
    [
      ['GET', '/api/v1/namespaces', {}, 500],
      ['GET', '/api/v1/namespaces', {}, 200],
    ],
  )
})

t.test('authorizes requests with the verbs of RequestInfo', async (t) => {
  const get = (path: string, query: Record<string, string> = {}) =>
    authorizationOf({ method: 'GET', path, query }).verb
  t.equal(get('/api/v1/namespaces'), 'list')
  t.equal(get('/api/v1/namespaces', { watch: 'true' }), 'watch')
  t.equal(get('/api/v1/namespaces', { watch: '' }), 'watch', '?watch alone is true')
  t.equal(get('/api/v1/namespaces', { watch: 'yes' }), 'watch', 'not strconv.ParseBool')
  t.equal(get('/api/v1/namespaces', { watch: 'FALSE' }), 'list')
  t.equal(get('/api/v1/namespaces', { watch: '0' }), 'list')
  t.equal(get('/api/v1/namespaces/a', { watch: 'true' }), 'get', 'a named GET stays a get')
  t.same(
    authorizationOf({
      method: 'PATCH',
      path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/w',
      query: {},
    }),
    {
      verb: 'patch',
      apiGroup: 'admissionregistration.k8s.io',
      resource: 'mutatingwebhookconfigurations',
      name: 'w',
    },
  )
})

t.test('lists by equality-based label selector, as kubectl and client-go send them', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  const slice = (service: string, extra: Record<string, string> = {}) => ({
    labels: { 'kubernetes.io/service-name': service, ...extra },
    addressType: 'IPv4',
    endpoints: [],
  })
  fake.createObject('endpointSlices', 'shop', 'web-abc12', slice('web'))
  fake.createObject('endpointSlices', 'shop', 'web-def34', slice('web', { canary: 'true' }))
  fake.createObject('endpointSlices', 'shop', 'api-xyz98', slice('api'))
  fake.createObject('endpointSlices', 'blog', 'web-00000', slice('web'))
  const names = async (selector: string) => {
    const path = `/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=${encodeURIComponent(selector)}`
    const answer = await client.json('GET', path)
    t.equal(answer.status, 200, selector)
    return (answer.json as { items: { metadata: { name: string } }[] }).items.map(
      (i) => i.metadata.name,
    )
  }
  t.same(await names('kubernetes.io/service-name=web'), ['web-abc12', 'web-def34'])
  t.same(await names('kubernetes.io/service-name==web,canary'), ['web-def34'], '== and exists')
  t.same(await names('kubernetes.io/service-name=web,!canary'), ['web-abc12'], 'does not exist')
  t.same(
    await names('canary!=true'),
    ['api-xyz98', 'web-abc12'],
    '!= holds where the key is absent',
  )
  t.same(await names(''), ['api-xyz98', 'web-abc12', 'web-def34'], 'empty selects all')
  t.match(await client.json('GET', '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices'), {
    json: { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1' },
  })
})

t.test('serves the read-only kinds typed, and GET /version', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.createObject('deployments', 'shop', 'web', { spec: { replicas: 2 } })
  fake.createObject('configMaps', 'shop', 'settings', { data: { a: 'b' } })
  fake.createObject('services', 'shop', 'web', { spec: { ports: [{ port: 443 }] } })
  t.match(await client.json('GET', '/apis/apps/v1/namespaces/shop/deployments/web'), {
    status: 200,
    json: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web' } },
  })
  t.match(await client.json('GET', '/api/v1/namespaces/shop/configmaps/settings'), {
    json: { kind: 'ConfigMap', apiVersion: 'v1', data: { a: 'b' } },
  })
  t.match(await client.json('GET', '/api/v1/namespaces/shop/services/missing'), {
    status: 404,
    json: { reason: 'NotFound', message: 'services "missing" not found' },
  })
  t.match(await client.json('GET', '/version'), {
    status: 200,
    json: { major: '1', minor: '34', gitVersion: 'v1.34.1', platform: 'linux/amd64' },
  })
  fake.setVersion({ major: '1', minor: '28+', gitVersion: 'v1.28.15-eks-1234' })
  t.match(await client.json('GET', '/version'), { json: { minor: '28+' } }, 'as set')
})
