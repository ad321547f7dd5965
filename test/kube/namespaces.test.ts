// The namespace cache through client-node's informer against the fake API server over real TLS:
// one list, then a watch; lookups from the cache; a single GET on a miss; re-watches after
// dropped or reset streams; a relist after 410 Expired; retries when the list fails.
import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeConfig } from '@kubernetes/client-node'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { BackoffOptions } from '../../src/kube/backoff.ts'
import {
  MISSING_TTL_MS,
  type NamespaceWatcher,
  watchNamespaces,
} from '../../src/kube/namespaces.ts'
import { until } from '../helpers/eventually.ts'
import { type FakeApiServer, startFakeApiServer } from '../helpers/fake-apiserver.ts'

interface Setup {
  fake: FakeApiServer
  watcher: NamespaceWatcher
  /** Every log line written so far, parsed. */
  logs: Array<{ level: number; msg: string }>
}

const BACKOFF: BackoffOptions = { initialMs: 20, maxMs: 200 }

interface SetupOptions {
  token?: string
  configure?: (kubeConfig: KubeConfig) => void
  clock?: () => number
}

async function setup(t: Test, options: SetupOptions = {}): Promise<Setup> {
  const fake = await startFakeApiServer()
  fake.createNamespace('default')
  fake.createNamespace('team-a', {
    labels: { team: 'a' },
    annotations: { 'patterns/sidecar': 'metrics' },
  })
  const logs: Setup['logs'] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) })
  const kubeConfig = fake.kubeConfig(options.token === undefined ? {} : { token: options.token })
  options.configure?.(kubeConfig)
  const clock = options.clock && { clock: options.clock }
  const watcher = watchNamespaces(kubeConfig, log, { backoff: BACKOFF, ...clock })
  t.teardown(async () => {
    await watcher.stop()
    await fake.close()
  })
  return { fake, watcher, logs }
}

const isList = (r: { path: string; query: Record<string, string> }) =>
  r.path === '/api/v1/namespaces' && r.query.watch === undefined
const lists = (fake: FakeApiServer) => fake.requests().filter(isList)
const watches = (fake: FakeApiServer) => fake.requests().filter((r) => r.query.watch === 'true')
const reads = (fake: FakeApiServer, name?: string) =>
  fake
    .requests()
    .filter((r) => (name ? r.path === `/api/v1/namespaces/${name}` : r.path.split('/').length > 4))

/** The lookup's answer if it came from the cache (no GET was made for it), else undefined. */
async function fromCache({ fake, watcher }: Setup, name: string) {
  const before = reads(fake).length
  const info = await watcher.lookup.get(name)
  return reads(fake).length === before ? info : undefined
}

t.test('start() resolves once the initial list is in the cache', async (t) => {
  const s = await setup(t)
  t.equal(s.watcher.synced(), false, 'not synced before start()')
  await s.watcher.start()
  t.equal(s.watcher.synced(), true)
  t.same(
    s.fake.requests().map((r) => [r.path, r.query]),
    [
      ['/api/v1/namespaces', {}],
      ['/api/v1/namespaces', { watch: 'true', resourceVersion: '3' }],
    ],
    'one list, then a watch from the list resourceVersion',
  )
  t.ok(await fromCache(s, 'team-a'), 'the listed namespaces are cached')
})

t.test('lookups answer from the cache without any request', async (t) => {
  const { fake, watcher } = await setup(t)
  await watcher.start()
  const before = fake.requests().length
  const info = await watcher.lookup.get('team-a')
  const { resourceVersion, ...facts } = info ?? { resourceVersion: undefined }
  t.same(facts, {
    name: 'team-a',
    labels: { team: 'a', 'kubernetes.io/metadata.name': 'team-a' },
    annotations: { 'patterns/sidecar': 'metrics' },
  })
  t.match(resourceVersion, /^\d+$/, 'with the resourceVersion the API server gave it')
  t.ok(Object.isFrozen(info) && Object.isFrozen(info?.labels), 'callers cannot edit the cache')
  for (let i = 0; i < 50; i++) await watcher.lookup.get(i % 2 ? 'team-a' : 'default')
  t.equal(fake.requests().length, before, 'no GET per lookup')
})

t.test('ADDED, MODIFIED and DELETED namespaces reach later lookups', async (t) => {
  const s = await setup(t)
  await s.watcher.start()
  s.fake.createNamespace('late', { annotations: { 'patterns/sidecar': 'auth' } })
  t.match(await until(() => fromCache(s, 'late'), { what: 'the ADDED namespace in the cache' }), {
    annotations: { 'patterns/sidecar': 'auth' },
  })
  const before = await s.watcher.lookup.get('late')
  t.equal(await s.watcher.lookup.get('late'), before, 'unchanged, it is the same object')
  s.fake.updateNamespace('late', { labels: { tier: 'gold' } })
  const updated = await until(
    async () => {
      const info = await fromCache(s, 'late')
      return info?.labels.tier === 'gold' ? info : undefined
    },
    { what: 'the MODIFIED namespace in the cache' },
  )
  t.same(updated.annotations, {}, 'the update removed the annotation')
  t.not(updated, before, 'changed, it is a new object')
  // The review memo keeps an answer only while the namespace's resourceVersion stays the same.
  t.ok(before?.resourceVersion, 'the cached namespace carries its resourceVersion')
  t.not(updated.resourceVersion, before?.resourceVersion, 'changed, it has a new resourceVersion')
  t.equal(await s.watcher.lookup.get('late'), updated)
  s.fake.deleteNamespace('late')
  await until(async () => (await s.watcher.lookup.get('late')) === undefined, {
    what: 'the DELETED namespace to leave the cache',
  })
  t.equal(lists(s.fake).length, 1, 'all of it through the watch, without a relist')
})

t.test('a cache miss reads the namespace with exactly one GET', async (t) => {
  const { fake, watcher } = await setup(t)
  await watcher.start()
  // Created and looked up in the same turn, before the watch can deliver it: a certain miss.
  fake.createNamespace('fresh', { labels: { new: 'yes' } })
  const answers = await Promise.all([1, 2, 3].map(() => watcher.lookup.get('fresh')))
  t.same(answers[0]?.labels, { new: 'yes', 'kubernetes.io/metadata.name': 'fresh' })
  t.same(answers[1], answers[0])
  t.equal(reads(fake, 'fresh').length, 1, 'concurrent lookups share one GET')

  t.equal(await watcher.lookup.get('missing'), undefined, '404 means no such namespace')
  t.equal(reads(fake, 'missing').length, 1)
  t.equal(await watcher.lookup.get(''), undefined, 'a cluster-scoped object has no namespace')
  t.equal(reads(fake).length, 2, 'and that costs no request')

  fake.failNext(1)
  await t.rejects(watcher.lookup.get('unlucky'), { code: 500 }, 'other failures are thrown')
})

// The name comes from the review, which anyone who reaches the webhook can write: '.' read as
// GET /api/v1/namespaces/. listed every namespace with the webhook's token, '..' asked for
// /api/v1. Only a DNS-1123 label, as the API server names namespaces, is ever looked up.
t.test('a name that is no namespace name is never sent to the API server', async (t) => {
  const { fake, watcher } = await setup(t)
  await watcher.start()
  const before = fake.requests().length
  const names = ['.', '..', '../..', '../../apis', 'a/b', '%2e%2e', '?watch=true', 'team-a/']
  names.push('Team-a', '-a', 'a-', 'a.b', 'a_b', ' team-a', 'x'.repeat(64), 'é')
  for (const name of names)
    t.equal(await watcher.lookup.get(name), undefined, `${JSON.stringify(name)}: no namespace`)
  t.same(fake.requests().slice(before), [], 'and not one request')
  t.ok((await watcher.lookup.get('x'.repeat(63))) === undefined, '63 characters is a name')
  t.equal(reads(fake, 'x'.repeat(63)).length, 1, 'which is read')
})

t.test(
  'a namespace the API server does not have is read once, and again after a while',
  async (t) => {
    let now = 1_000
    const s = await setup(t, { clock: () => now })
    await s.watcher.start()
    for (let i = 0; i < 5; i++) t.equal(await s.watcher.lookup.get('nowhere'), undefined)
    await Promise.all([1, 2, 3].map(() => s.watcher.lookup.get('elsewhere')))
    t.equal(reads(s.fake, 'nowhere').length, 1, 'one GET for five lookups of one unknown name')
    t.equal(reads(s.fake, 'elsewhere').length, 1, 'and one for concurrent ones')

    // The watch comes first: a namespace created after its name was missed is found at once.
    s.fake.createNamespace('nowhere', { labels: { now: 'here' } })
    const found = await until(() => fromCache(s, 'nowhere'), { what: 'nowhere in the cache' })
    t.equal(found.labels.now, 'here')

    now += MISSING_TTL_MS + 1
    t.equal(await s.watcher.lookup.get('elsewhere'), undefined)
    t.equal(reads(s.fake, 'elsewhere').length, 2, 'read again once the miss is old')
  },
)

t.test('stop() aborts a read in flight', async (t) => {
  const { watcher } = await setup(t)
  await watcher.start()
  const pending = watcher.lookup.get('not-yet-watched')
  await watcher.stop()
  await t.rejects(pending, { name: 'AbortError' })
})

t.test('after dropped watches the informer re-watches and sees later changes', async (t) => {
  const s = await setup(t)
  await s.watcher.start()
  t.equal(s.fake.dropWatches(), 1)
  const rewatch = await until(() => watches(s.fake)[1], { what: 'a re-watch' })
  t.equal(rewatch.query.resourceVersion, '3', 'from where it was, without a relist')
  s.fake.createNamespace('after-drop')
  t.ok(await until(() => fromCache(s, 'after-drop'), { what: 'after-drop in the cache' }))
  t.equal(lists(s.fake).length, 1)
})

t.test('a reset watch connection is logged and the informer is restarted', async (t) => {
  const s = await setup(t)
  await s.watcher.start()
  t.equal(s.fake.dropWatches({ abruptly: true }), 1)
  const warning = await until(() => s.logs.find((line) => line.level === 40), {
    what: 'a warning',
  })
  t.match(warning, { msg: 'watch failed; restarting', path: '/api/v1/namespaces' })
  s.fake.createNamespace('after-reset')
  t.ok(await until(() => fromCache(s, 'after-reset'), { what: 'after-reset in the cache' }))
  t.equal(watches(s.fake).length, 2, 'one restart')
})

t.test('credentials that fail before a re-watch are logged and retried', async (t) => {
  // Like a projected token file that is briefly unreadable: client-node throws before the watch
  // request, which would be an unhandled rejection in ListWatch's reconnect path.
  const credentials = { broken: false }
  const s = await setup(t, {
    configure: (kubeConfig) =>
      kubeConfig.addAuthenticator({
        isAuthProvider: () => true,
        applyAuthentication: async () => {
          if (credentials.broken) throw new Error('token file is gone')
        },
      }),
  })
  await s.watcher.start()
  credentials.broken = true
  s.fake.dropWatches()
  const warning = await until(() => s.logs.find((line) => line.level === 40), {
    what: 'a warning',
  })
  t.match(warning, { msg: 'watch failed; restarting', err: { message: 'token file is gone' } })
  credentials.broken = false
  s.fake.createNamespace('after-recovery')
  t.ok(
    await until(() => fromCache(s, 'after-recovery'), { what: 'after-recovery in the cache' }),
    'watching again once they work',
  )
})

t.test('410 Expired on a re-watch leads to a relist', async (t) => {
  const s = await setup(t)
  await s.watcher.start()
  // While no watch is open, team-a goes away and the history that recorded it is compacted:
  // only a relist can tell the informer.
  s.fake.dropWatches()
  s.fake.deleteNamespace('team-a')
  s.fake.compact()
  await until(() => lists(s.fake)[1], { what: 'a relist' })
  t.equal(watches(s.fake)[1]?.query.resourceVersion, '3', 'the re-watch that got 410')
  await until(async () => (await s.watcher.lookup.get('team-a')) === undefined, {
    what: 'the relist to remove team-a from the cache',
  })
  t.same(
    s.logs.filter((line) => line.level >= 40),
    [],
    'client-node handles 410 itself; no error',
  )
  s.fake.createNamespace('after-relist')
  t.ok(
    await until(() => fromCache(s, 'after-relist'), { what: 'after-relist in the cache' }),
    'and watches again afterwards',
  )
})

t.test('start() retries a failed initial list', async (t) => {
  const { fake, watcher, logs } = await setup(t)
  fake.failNext(1)
  await watcher.start()
  t.equal(watcher.synced(), true)
  t.equal(lists(fake).length, 2)
  t.match(logs, [{ level: 40, msg: 'watch failed; restarting' }])
})

t.test('without valid credentials start() keeps trying until stop() rejects it', async (t) => {
  const { fake, watcher } = await setup(t, { token: 'revoked' })
  const started = watcher.start()
  await until(() => lists(fake)[2], { what: 'a third list' })
  t.equal(watcher.synced(), false, 'never ready on a 401')
  await watcher.stop()
  await t.rejects(started, /stopped before \/api\/v1\/namespaces was listed/)
  const after = fake.requests().length
  // That no retry comes can only be watched for a while: longer than the longest delay between
  // retries, plus the moment a request stop() aborted may take to reach the fake.
  await sleep(BACKOFF.maxMs * 1.5)
  t.equal(fake.requests().length, after, 'no retry after stop()')
})
