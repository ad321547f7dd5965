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
    '/api/v1/namespaces?watch=true&labelSelector=team%3Da',
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
