// The certificate manager over time, with the clock moved forward instead of waited for: start
// creates the Secret and patches the caBundle; a check renews what is due and hands the new
// certificate to onCertificate; a replica that loses the renewal race serves the winner's; over
// ten years and more every served certificate is valid and trusted by the caBundle of the moment,
// through a CA rotation; the expiry gauge shows the seconds left.
import { X509Certificate } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import {
  type CertificateManager,
  type CertificateManagerOptions,
  certificateManager,
} from '../../src/tls/certificate-manager.ts'
import type { ServingCertificate } from '../../src/tls/certificates.ts'
import { EXPIRY_METRIC } from '../../src/tls/expiry-metrics.ts'
import { isIssuedBy, parseBundle } from '../../src/tls/inspect.ts'
import { until, within } from '../helpers/eventually.ts'
import type { FakeApiServer } from '../helpers/fake-apiserver.ts'
import {
  caBundles,
  calls,
  clock,
  DAY_MS,
  fakeCluster,
  fingerprint,
  MWC_PATH,
  NAMESPACE,
  replica,
  SECRET,
  SECRET_PATH,
  SECRETS_PATH,
  storedSecret,
  webhookConfiguration,
} from './support.ts'

interface Replica {
  manager: CertificateManager
  registry: Registry
  received: ServingCertificate[]
}

/** A manager as serve would run it, on `now`, with checks only when the test calls check(). */
function startReplica(
  t: Test,
  fake: FakeApiServer,
  overrides: Partial<CertificateManagerOptions> = {},
): Replica {
  const registry = new Registry()
  const received: ServingCertificate[] = []
  const manager = certificateManager({
    ...replica(fake),
    registry,
    onCertificate: (certificate) => received.push(certificate),
    intervalMs: 60 * 60 * 1000,
    log: pino({ level: 'silent' }),
    ...overrides,
  })
  t.teardown(() => manager.stop())
  return { manager, registry, received }
}

async function expirySeconds(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(EXPIRY_METRIC)?.get()
  return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.certificate, v.value]))
}

t.test('start creates the Secret, patches the caBundle and serves the certificate', async (t) => {
  const fake = await fakeCluster(t)
  const time = clock()
  const { manager, registry } = startReplica(t, fake, { now: time.now })
  const served = await manager.start()
  t.same(calls(fake), [
    `GET ${SECRET_PATH} 404`,
    `POST ${SECRETS_PATH} 201`,
    `GET ${MWC_PATH} 200`,
    `PATCH ${MWC_PATH} 200`,
  ])
  t.equal(served.cert, storedSecret(fake)?.['tls.crt'])
  t.same(caBundles(fake), [served.ca, served.ca])
  t.same(manager.current(), served)
  t.same(await expirySeconds(registry), { serving: 365 * 86_400, ca: 3650 * 86_400 })
  time.advance(100 * DAY_MS)
  t.same(
    await expirySeconds(registry),
    { serving: 265 * 86_400, ca: 3550 * 86_400 },
    'at scrape time',
  )
})

t.test('a check before anything is due reads the Secret and the caBundle only', async (t) => {
  const fake = await fakeCluster(t)
  const { manager, received } = startReplica(t, fake)
  await manager.start()
  const before = fake.requests().length
  await manager.check()
  t.same(calls(fake, before), [`GET ${SECRET_PATH} 200`, `GET ${MWC_PATH} 200`])
  t.same(received, [], 'nothing new to serve')
})

t.test('renews the serving certificate when due and serves the new one', async (t) => {
  const fake = await fakeCluster(t)
  const time = clock()
  const { manager, registry, received } = startReplica(t, fake, { now: time.now })
  const first = await manager.start()
  time.advance(250 * DAY_MS)
  const before = fake.requests().length
  await manager.check()
  t.same(calls(fake, before), [
    `GET ${SECRET_PATH} 200`,
    `PUT ${SECRET_PATH} 200`,
    `GET ${MWC_PATH} 200`,
  ])
  t.equal(received.length, 1)
  const renewed = received[0] as ServingCertificate
  t.not(fingerprint(renewed.cert), fingerprint(first.cert))
  t.equal(renewed.cert, storedSecret(fake)?.['tls.crt'])
  t.equal(renewed.ca, first.ca, 'same CA: the caBundle needs no patch')
  t.same(manager.current(), renewed)
  t.equal((await expirySeconds(registry)).serving, 365 * 86_400)
})

t.test('a replica that loses the renewal race (409 Conflict) serves the winner', async (t) => {
  const fake = await fakeCluster(t)
  const time = clock()
  const a = startReplica(t, fake, { now: time.now })
  const b = startReplica(t, fake, { now: time.now })
  await a.manager.start()
  await b.manager.start()
  time.advance(250 * DAY_MS)
  // B renews between A's GET and A's PUT, so A's PUT carries a stale resourceVersion.
  fake.beforeNext('PUT', SECRET_PATH, () => b.manager.check())
  const before = fake.requests().length
  await a.manager.check()
  t.same(calls(fake, before), [
    `GET ${SECRET_PATH} 200`,
    `PUT ${SECRET_PATH} 409`,
    `GET ${SECRET_PATH} 200`,
    `PUT ${SECRET_PATH} 200`,
    `GET ${MWC_PATH} 200`,
    `GET ${SECRET_PATH} 200`,
    `GET ${MWC_PATH} 200`,
  ])
  t.equal(fake.requests().filter((r) => r.method === 'PUT' && r.status === 200).length, 1)
  t.same(a.manager.current(), b.manager.current(), 'both serve the same certificate')
  t.equal(a.manager.current()?.cert, storedSecret(fake)?.['tls.crt'])
  t.same([a.received.length, b.received.length], [1, 1])
})

t.test(
  'for twelve years every served certificate is valid and trusted by the caBundle',
  async (t) => {
    const fake = await fakeCluster(t)
    const time = clock()
    const a = startReplica(t, fake, { now: time.now })
    const b = startReplica(t, fake, { now: time.now })
    await a.manager.start()
    await b.manager.start()
    const bundleSizes = new Set<number>()
    // A check every 10 days, by each replica in turn: renewal windows are months long.
    for (let day = 10; day <= 12 * 365; day += 10) {
      time.advance(10 * DAY_MS)
      await (day % 20 === 0 ? a : b).manager.check()
      const trusted = parseBundle(caBundles(fake)[0] ?? '')
      bundleSizes.add(trusted.length)
      for (const { manager } of [a, b]) {
        const problem = untrusted(manager.current(), trusted, time.now())
        if (problem) t.fail(`day ${day}: ${problem}`)
      }
    }
    t.same(
      [...bundleSizes].sort(),
      [1, 2],
      'two CAs in the bundle during the overlap, one otherwise',
    )
    t.same(caBundles(fake), [storedSecret(fake)?.['ca.crt'], storedSecret(fake)?.['ca.crt']])
  },
)

/** Why the API server would refuse `served` at `now` with the caBundle `trusted`, if it would. */
function untrusted(
  served: ServingCertificate | undefined,
  trusted: X509Certificate[],
  now: Date,
): string | undefined {
  const certificate = new X509Certificate(served?.cert ?? '')
  if (certificate.validFromDate > now || certificate.validToDate <= now) return 'not valid now'
  const issuer = trusted.find((ca) => isIssuedBy(certificate, ca) && ca.validToDate > now)
  return issuer ? undefined : 'no CA of the caBundle signed it'
}

t.test('puts back a caBundle that `kubectl apply` reset', async (t) => {
  const fake = await fakeCluster(t)
  const { manager } = startReplica(t, fake)
  const served = await manager.start()
  fake.replaceMutatingWebhookConfiguration('sidecar-patterns', webhookConfiguration())
  await manager.check()
  t.same(caBundles(fake), [served.ca, served.ca])
})

t.test('serves before the caBundle can be patched, and retries it soon', async (t) => {
  const fake = await fakeCluster(t)
  fake.beforeNext('GET', MWC_PATH, () => fake.failNext(1))
  const { manager } = startReplica(t, fake, { backoff: { initialMs: 20, maxMs: 20 } })
  const served = await manager.start()
  t.same(caBundles(fake), [undefined, undefined], 'the first patch failed')
  // The interval is an hour: a patch before the deadline can only be the quick retry.
  await until(() => caBundles(fake)[0] !== undefined, { what: 'the caBundle patch to be retried' })
  t.same(caBundles(fake), [served.ca, served.ca], 'a retry within milliseconds, not an interval')
})

const INTERVAL_MS = 10
// That nothing happens can only be watched for a while: ten intervals, in which a check that
// stop() left scheduled would have sent its first request.
const QUIET_MS = 10 * INTERVAL_MS

t.test('stop() during a check aborts it: no request afterwards', async (t) => {
  const fake = await fakeCluster(t)
  const { manager } = startReplica(t, fake, { intervalMs: INTERVAL_MS })
  await manager.start()
  const started = fake.requests().length
  await until(() => fake.requests().length >= started + 4, { what: 'the timer to run checks' })
  // Stopped while the next check's first request waits in the fake: that request is recorded
  // before stop() begins, so no request of a check before stop() can arrive after it.
  const stopped = Promise.withResolvers<void>()
  fake.beforeNext('GET', SECRET_PATH, () => manager.stop().then(stopped.resolve))
  await within(stopped.promise, { what: 'stop() to end a check that waits on the API server' })
  const after = fake.requests().length
  await sleep(QUIET_MS)
  t.equal(fake.requests().length, after, 'no request after stop()')
  t.equal(fake.secret(NAMESPACE, SECRET)?.type, 'kubernetes.io/tls')
})

t.test('stop() between checks clears the next one: no request afterwards', async (t) => {
  const fake = await fakeCluster(t)
  const { manager } = startReplica(t, fake, { intervalMs: INTERVAL_MS })
  await manager.start()
  // start() resolves right after it scheduled the first check, with no request in flight.
  await manager.stop()
  const after = fake.requests().length
  await sleep(QUIET_MS)
  t.equal(fake.requests().length, after, 'no request after stop()')
})
