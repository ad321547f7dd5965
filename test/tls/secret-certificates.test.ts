// ensureCertificate() against the fake API server over real TLS: the first start creates the
// Secret, later starts reuse it with no write, replicas racing to create it end up serving the one
// that won, and a Secret that cannot be used is replaced or, if another tool owns it, left alone.
import { X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import t from 'tap'
import { serviceNames } from '../../src/tls/names.ts'
import { ensureCertificate } from '../../src/tls/secret-certificates.ts'
import {
  calls,
  capturingLog,
  clock,
  DAY_MS,
  fakeCluster,
  fingerprint,
  NAMESPACE,
  replica,
  SECRET,
  SECRET_PATH,
  SECRETS_PATH,
  storedSecret,
} from './support.ts'

t.test('the first start creates a kubernetes.io/tls Secret with a new CA', async (t) => {
  const fake = await fakeCluster(t)
  const set = await ensureCertificate(replica(fake))
  t.same(calls(fake), [`GET ${SECRET_PATH} 404`, `POST ${SECRETS_PATH} 201`])
  const secret = fake.secret(NAMESPACE, SECRET)
  t.equal(secret?.type, 'kubernetes.io/tls')
  t.same(storedSecret(fake), {
    'tls.crt': set.cert,
    'tls.key': set.key,
    'ca.crt': set.ca,
    'ca.key': set.caKey,
  })
  const serving = new X509Certificate(set.cert)
  const ca = new X509Certificate(set.ca)
  t.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey), 'signed by the CA')
  t.equal(
    serving.subjectAltName,
    'DNS:localhost, DNS:sidecar-patterns, DNS:sidecar-patterns.sidecar-patterns, DNS:sidecar-patterns.sidecar-patterns.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  )
  for (const pem of [set.cert, set.ca]) {
    const parsed = new x509.X509Certificate(pem)
    const algorithm = parsed.signatureAlgorithm as { hash: { name: string } }
    t.equal(algorithm.hash.name, 'SHA-256')
  }
})

t.test('a second start reuses the Secret: one GET, no write', async (t) => {
  const fake = await fakeCluster(t)
  const first = await ensureCertificate(replica(fake))
  const before = fake.requests().length
  const second = await ensureCertificate(replica(fake))
  t.same(second, first)
  t.same(calls(fake, before), [`GET ${SECRET_PATH} 200`])
})

t.test('two replicas starting at once serve the one Secret that was created', async (t) => {
  const fake = await fakeCluster(t)
  const [a, b] = await Promise.all([
    ensureCertificate(replica(fake)),
    ensureCertificate(replica(fake)),
  ])
  t.same(a, b, 'the same certificate, key and CA')
  t.same(storedSecret(fake)?.['tls.crt'], a.cert)
  t.equal(calls(fake).filter((c) => c === `POST ${SECRETS_PATH} 201`).length, 1)
})

t.test(
  'a replica whose create loses (409 AlreadyExists) reads and serves the winner',
  async (t) => {
    const fake = await fakeCluster(t)
    const { log, lines } = capturingLog()
    let winner: Awaited<ReturnType<typeof ensureCertificate>> | undefined
    // The other replica starts between this one's GET (404) and its POST.
    fake.beforeNext('POST', SECRETS_PATH, async () => {
      winner = await ensureCertificate(replica(fake))
    })
    const loser = await ensureCertificate(replica(fake, { log }))
    t.same(loser, winner)
    t.same(calls(fake), [
      `GET ${SECRET_PATH} 404`,
      `POST ${SECRETS_PATH} 409`,
      `GET ${SECRET_PATH} 404`,
      `POST ${SECRETS_PATH} 201`,
      `GET ${SECRET_PATH} 200`,
    ])
    t.match(lines, [{ msg: 'another replica wrote the certificate Secret first' }])
  },
)

t.test('replaces a Secret that cannot be used, on its resourceVersion', async (t) => {
  const fake = await fakeCluster(t)
  const garbage = Buffer.from('not a certificate').toString('base64')
  const data = { 'tls.crt': garbage, 'tls.key': garbage, 'ca.crt': garbage, 'ca.key': garbage }
  fake.createSecret(NAMESPACE, SECRET, { type: 'kubernetes.io/tls', data })
  const { log, lines } = capturingLog()
  const set = await ensureCertificate(replica(fake, { log }))
  t.same(calls(fake), [`GET ${SECRET_PATH} 200`, `PUT ${SECRET_PATH} 200`])
  t.equal(storedSecret(fake)?.['tls.crt'], set.cert)
  t.match(lines, [{ msg: 'replacing an unusable certificate Secret', problem: /does not parse/ }])
})

t.test('leaves alone a Secret another tool manages (no ca.key) and says so', async (t) => {
  const fake = await fakeCluster(t)
  const mine = await ensureCertificate(replica(fake))
  const b64 = (pem: string) => Buffer.from(pem).toString('base64')
  const data = { 'tls.crt': b64(mine.cert), 'tls.key': b64(mine.key), 'ca.crt': b64(mine.ca) }
  fake.replaceSecret(NAMESPACE, SECRET, { type: 'kubernetes.io/tls', data })
  const before = fake.requests().length
  await t.rejects(ensureCertificate(replica(fake)), {
    message: `Secret ${NAMESPACE}/${SECRET} cannot be used: it has tls.crt but no ca.key: another tool manages it; name another Secret`,
  })
  t.same(calls(fake, before), [`GET ${SECRET_PATH} 200`], 'no write')
})

t.test('renews an expired serving certificate at start, with the same CA', async (t) => {
  const fake = await fakeCluster(t)
  const time = clock()
  const first = await ensureCertificate(replica(fake, { now: time.now }))
  time.advance(400 * DAY_MS)
  const before = fake.requests().length
  const renewed = await ensureCertificate(replica(fake, { now: time.now }))
  t.same(calls(fake, before), [`GET ${SECRET_PATH} 200`, `PUT ${SECRET_PATH} 200`])
  t.not(fingerprint(renewed.cert), fingerprint(first.cert))
  t.equal(renewed.ca, first.ca, 'the CA stays')
  t.ok(new X509Certificate(renewed.cert).validToDate > time.now(), 'valid now')
})

t.test('renews the serving certificate when the Service gets another name', async (t) => {
  const fake = await fakeCluster(t)
  const first = await ensureCertificate(replica(fake))
  const names = serviceNames('hooks', NAMESPACE)
  const renamed = await ensureCertificate(replica(fake, { names }))
  t.match(new X509Certificate(renamed.cert).subjectAltName, /DNS:hooks\.sidecar-patterns\.svc/)
  t.equal(renamed.ca, first.ca)
})
