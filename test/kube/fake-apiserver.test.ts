// The fake API server itself, where the informer's behaviour depends on it being faithful:
// authentication, Status objects, list and watch shapes, resourceVersions, 410 Expired.
import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import { type FakeApiServer, startFakeApiServer } from '../helpers/fake-apiserver.ts'

interface Client {
  get(path: string, token?: string | null): Promise<{ status: number; json: unknown }>
  /** A watch, read until the server ends it; one parsed event per line. */
  watch(query: string): Promise<unknown[]>
}

async function setup(t: Test): Promise<{ fake: FakeApiServer; client: Client }> {
  const fake = await startFakeApiServer()
  const agent = new Agent({ connect: { ca: fake.ca } })
  t.teardown(async () => {
    await agent.close()
    await fake.close()
  })
  const send = async (path: string, token: string | null) => {
    const headers = token === null ? {} : { authorization: `Bearer ${token}` }
    const res = await request(`${fake.url}${path}`, { headers, dispatcher: agent })
    return { status: res.statusCode, text: await res.body.text() }
  }
  return {
    fake,
    client: {
      get: async (path, token = fake.token) => {
        const { status, text } = await send(path, token)
        return { status, json: JSON.parse(text) }
      },
      watch: async (query) => {
        const { text } = await send(`/api/v1/namespaces?${query}`, fake.token)
        return text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      },
    },
  }
}

const unauthorized = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
}

t.test('refuses requests without the bearer token with a 401 Status', async (t) => {
  const { client } = await setup(t)
  t.same(await client.get('/api/v1/namespaces', null), { status: 401, json: unauthorized })
  t.same(await client.get('/api/v1/namespaces', 'wrong'), { status: 401, json: unauthorized })
})

t.test('answers a missing namespace with the NotFound Status of the real API', async (t) => {
  const { client } = await setup(t)
  t.same(await client.get('/api/v1/namespaces/x'), {
    status: 404,
    json: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'namespaces "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'namespaces' },
      code: 404,
    },
  })
  const unknown = await client.get('/api/v1/secrets')
  t.equal(unknown.status, 404)
  t.match(unknown.json, { kind: 'Status', reason: 'NotFound' })
})

t.test('lists untyped items under the current resourceVersion; gets typed objects', async (t) => {
  const { fake, client } = await setup(t)
  fake.createNamespace('team-a', { labels: { team: 'a' }, annotations: { owner: 'x' } })
  const listed = await client.get('/api/v1/namespaces')
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
        status: { phase: 'Active' },
      },
    ],
  })
  const [item] = (listed.json as { items: object[] }).items
  t.notOk(item && 'kind' in item, 'list items carry no kind, as the real API sends them')
  const got = await client.get('/api/v1/namespaces/team-a')
  t.match(got, { status: 200, json: { kind: 'Namespace', apiVersion: 'v1' } })
})

t.test('a watch replays the changes after its resourceVersion, typed', async (t) => {
  const { fake, client } = await setup(t)
  fake.createNamespace('a')
  fake.createNamespace('b')
  fake.updateNamespace('b', { labels: { x: 'y' } })
  fake.deleteNamespace('a')
  const events = await client.watch('watch=1&resourceVersion=2&timeoutSeconds=1')
  t.match(events, [
    { type: 'ADDED', object: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'b' } } },
    { type: 'MODIFIED', object: { metadata: { name: 'b', resourceVersion: '4' } } },
    { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '5' } } },
  ])
  t.equal(events.length, 3, 'nothing from before resourceVersion 2; the stream ends at timeout')
})

t.test('a watch streams live changes until dropped', async (t) => {
  const { fake, client } = await setup(t)
  const watching = client.watch('watch=true&resourceVersion=1')
  // The server subscribes a watch in the same turn as it records the request.
  while (fake.requests().length === 0) await new Promise((resolve) => setImmediate(resolve))
  fake.createNamespace('live')
  t.equal(fake.dropWatches(), 1)
  t.match(await watching, [{ type: 'ADDED', object: { metadata: { name: 'live' } } }])
})

t.test('a watch from a compacted resourceVersion gets one 410 Expired event', async (t) => {
  const { fake, client } = await setup(t)
  fake.createNamespace('a')
  fake.compact()
  t.same(await client.watch('watch=true&resourceVersion=2'), [
    {
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'too old resource version: 2 (3)',
        reason: 'Expired',
        code: 410,
      },
    },
  ])
})

t.test('records requests, and fails the next ones on demand', async (t) => {
  const { fake, client } = await setup(t)
  fake.failNext(1)
  t.match(await client.get('/api/v1/namespaces'), { status: 500, json: { code: 500 } })
  t.match(await client.get('/api/v1/namespaces'), { status: 200 })
  t.same(
    fake.requests().map((r) => [r.method, r.path, r.query]),
    [
      ['GET', '/api/v1/namespaces', {}],
      ['GET', '/api/v1/namespaces', {}],
    ],
  )
})
