// The fake API server's watches, as the real API server's watch cache serves them
// (k8s.io/apiserver pkg/storage/cacher): typed events in a 200 stream, history replayed after a
// resourceVersion, 410 Expired as an ERROR event inside the stream, bookmarks only on request,
// the initial events of a watch without a resourceVersion, and the options it refuses.
import t from 'tap'
import { fakeWithClient } from '../helpers/fake-apiserver-client.ts'

const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' } as const

t.test('a watch replays the changes after its resourceVersion, typed', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.createNamespace('a')
  fake.createNamespace('b')
  fake.updateNamespace('b', { labels: { x: 'y' } })
  fake.deleteNamespace('a')
  const { done } = await client.watch(
    '/api/v1/namespaces?watch=1&resourceVersion=2&timeoutSeconds=1',
  )
  const answer = await done
  t.match(answer, { status: 200, contentType: 'application/json' })
  t.match(answer.events, [
    { type: 'ADDED', object: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'b' } } },
    { type: 'MODIFIED', object: { metadata: { name: 'b', resourceVersion: '4' } } },
    { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '5' } } },
  ])
  t.equal(
    answer.events.length,
    3,
    'nothing from before resourceVersion 2; the stream ends at timeout',
  )
})

t.test('a watch streams live changes until dropped', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  const { done } = await client.watch('/api/v1/namespaces?watch=true&resourceVersion=1')
  fake.createNamespace('live')
  t.equal(fake.dropWatches(), 1)
  t.match((await done).events, [{ type: 'ADDED', object: { metadata: { name: 'live' } } }])
})

t.test('reads ?watch as Convert_Slice_string_To_bool does', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  for (const query of ['watch', 'watch=yes', 'watch=True']) {
    const { done } = await client.watch(`/api/v1/namespaces?${query}&resourceVersion=1`)
    fake.dropWatches()
    t.same((await done).events, [], `${query} is a watch`)
  }
  for (const query of ['watch=false', 'watch=FALSE', 'watch=0']) {
    t.match(
      await client.json('GET', `/api/v1/namespaces?${query}`),
      {
        json: { kind: 'NamespaceList' },
      },
      `${query} is a list`,
    )
  }
})

t.test(
  'a compacted resourceVersion is an ERROR event in a 200 stream, never an HTTP 410',
  async (t) => {
    const { fake, client } = await fakeWithClient(t)
    fake.createNamespace('a')
    fake.createSecret('a', 's', { type: 'Opaque' })
    fake.compact()
    const expired = (path: string, message: string) =>
      client
        .watch(path)
        .then(({ done }) => done)
        .then((answer) =>
          t.same(answer, {
            status: 200,
            contentType: 'application/json',
            events: [
              {
                type: 'ERROR',
                object: { ...failure, message, reason: 'Expired', code: 410 },
              },
            ],
          }),
        )
    await expired(
      '/api/v1/namespaces?watch=true&resourceVersion=2',
      'too old resource version: 2 (4)',
    )
    await expired(
      '/api/v1/namespaces/a/secrets?watch=true&resourceVersion=3',
      'too old resource version: 3 (4)',
    )
    const { done } = await client.watch('/api/v1/namespaces?watch=true&resourceVersion=4')
    fake.dropWatches()
    t.same((await done).events, [], 'a watch from the compaction on is served')
  },
)

t.test(
  'an unparseable resourceVersion is a 500 without a reason, as the real one answers',
  async (t) => {
    const { client } = await fakeWithClient(t)
    t.same(await client.json('GET', '/api/v1/namespaces?watch=true&resourceVersion=-1'), {
      status: 500,
      json: {
        ...failure,
        message:
          'resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax',
        code: 500,
      },
    })
  },
)

t.test(
  'a watch without resourceVersion starts with the objects, then the annotated bookmark',
  async (t) => {
    const { fake, client } = await fakeWithClient(t)
    fake.createNamespace('a')
    fake.createNamespace('b')
    const { done } = await client.watch('/api/v1/namespaces?watch=true&allowWatchBookmarks=true')
    fake.deleteNamespace('a')
    fake.dropWatches()
    const { events } = await done
    t.match(events.slice(0, 2), [
      {
        type: 'ADDED',
        object: { kind: 'Namespace', metadata: { name: 'a', resourceVersion: '2' } },
      },
      {
        type: 'ADDED',
        object: { kind: 'Namespace', metadata: { name: 'b', resourceVersion: '3' } },
      },
    ])
    t.same(events[2], {
      type: 'BOOKMARK',
      object: {
        kind: 'Namespace',
        apiVersion: 'v1',
        metadata: { resourceVersion: '3', annotations: { 'k8s.io/initial-events-end': 'true' } },
        spec: {},
        status: {},
      },
    })
    t.match(events.slice(3), [{ type: 'DELETED', object: { metadata: { name: 'a' } } }])
    const { done: plain } = await client.watch('/api/v1/namespaces?watch=true&resourceVersion=0')
    fake.dropWatches()
    t.same(
      (await plain).events.map((e) => (e as { type: string }).type),
      ['ADDED'],
      'no bookmark unless asked for',
    )
  },
)

t.test('sends bookmarks on demand, only to watches that asked and started before', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  const asked = await client.watch(
    '/api/v1/namespaces?watch=true&resourceVersion=1&allowWatchBookmarks=true',
  )
  const unasked = await client.watch('/api/v1/namespaces?watch=true&resourceVersion=1')
  t.equal(fake.sendBookmarks(), 0, 'nothing newer than resourceVersion 1 yet')
  fake.createSecret('elsewhere', 's', { type: 'Opaque' })
  t.equal(fake.sendBookmarks(), 1)
  fake.dropWatches()
  t.same((await asked.done).events, [
    {
      type: 'BOOKMARK',
      object: {
        kind: 'Namespace',
        apiVersion: 'v1',
        metadata: { resourceVersion: '2' },
        spec: {},
        status: {},
      },
    },
  ])
  t.same((await unasked.done).events, [])
  const secrets = await client.watch(
    '/api/v1/namespaces/elsewhere/secrets?watch=true&resourceVersion=1&allowWatchBookmarks=1',
  )
  t.equal(fake.sendBookmarks(), 1)
  fake.dropWatches()
  t.same(
    (await secrets.done).events.at(-1),
    {
      type: 'BOOKMARK',
      object: { kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: '2' } },
    },
    'an empty Secret has nothing besides metadata',
  )
})

t.test('streaming lists: sendInitialEvents with resourceVersionMatch=NotOlderThan', async (t) => {
  const { fake, client } = await fakeWithClient(t)
  fake.createNamespace('a')
  fake.compact()
  const stream =
    '/api/v1/namespaces?watch=1&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'
  const initial = await client.watch(`${stream}&sendInitialEvents=true&resourceVersion=2`)
  fake.dropWatches()
  t.match(
    (await initial.done).events,
    [
      { type: 'ADDED', object: { metadata: { name: 'a' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } },
    ],
    'initial events come from the current state, whatever was compacted',
  )
  const later = await client.watch(`${stream}&sendInitialEvents=false`)
  fake.createNamespace('b')
  fake.dropWatches()
  t.match((await later.done).events, [{ type: 'ADDED', object: { metadata: { name: 'b' } } }])
  t.equal((await later.done).events.length, 1, 'no initial events')
})

t.test(
  'refuses watch options as validateWatchOptions does, with a 422 on ListOptions',
  async (t) => {
    const { client } = await fakeWithClient(t)
    const invalid = (message: string, causes: object[]) => ({
      status: 422,
      json: {
        ...failure,
        message,
        reason: 'Invalid',
        details: { group: 'meta.k8s.io', kind: 'ListOptions', causes },
        code: 422,
      },
    })
    const forbidden =
      'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'
    t.same(
      await client.json('GET', '/api/v1/namespaces?watch=true&sendInitialEvents=true'),
      invalid(`ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: ${forbidden}`, [
        { reason: 'FieldValueForbidden', message: forbidden, field: 'resourceVersionMatch' },
      ]),
    )
    const unsupported = 'Unsupported value: "Exact": supported values: "NotOlderThan"'
    t.same(
      await client.json(
        'GET',
        '/api/v1/namespaces?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact',
      ),
      invalid(
        `ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: ${forbidden}, resourceVersionMatch: ${unsupported}]`,
        [
          { reason: 'FieldValueForbidden', message: forbidden, field: 'resourceVersionMatch' },
          { reason: 'FieldValueNotSupported', message: unsupported, field: 'resourceVersionMatch' },
        ],
      ),
    )
    t.match(
      await client.json('GET', '/api/v1/namespaces?watch=true&resourceVersionMatch=NotOlderThan'),
      {
        status: 422,
        json: {
          message:
            'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        },
      },
    )
  },
)
