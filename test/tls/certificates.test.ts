// Certificates on first start: a CA and a serving certificate signed by it with SHA-256, covering
// localhost, loopback and the Service names; reused on later starts; refused when unusable.
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import t from 'tap'
import { FILES, loadOrCreate, serviceNames } from '../../src/tls/certificates.ts'

const names = serviceNames('hooks', 'platform')
const tempDir = () => mkdtemp(join(tmpdir(), 'sidecar-patterns-certs-'))

t.test('generates a CA and a serving certificate on first start', async (t) => {
  const dir = await tempDir()
  const { certificate, created } = await loadOrCreate(dir, names)
  t.equal(created, true)
  const serving = new X509Certificate(await readFile(join(dir, FILES.cert)))
  const ca = new X509Certificate(await readFile(join(dir, FILES.ca)))
  t.equal(
    serving.toString(),
    new X509Certificate(certificate.cert).toString(),
    'serves what it wrote',
  )
  t.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey), 'signed by the CA')
  t.equal(ca.ca, true, 'the CA is a CA')
  t.equal(serving.ca, false, 'the serving certificate is not')
  t.equal(
    serving.subjectAltName,
    'DNS:localhost, DNS:hooks, DNS:hooks.platform, DNS:hooks.platform.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  )
  for (const pem of [certificate.cert, certificate.ca ?? '']) {
    const parsed = new x509.X509Certificate(pem)
    t.equal(
      (parsed.signatureAlgorithm as { hash: { name: string } }).hash.name,
      'SHA-256',
      'signed with SHA-256, not SHA-1',
    )
  }
  t.equal((await stat(join(dir, FILES.key))).mode & 0o777, 0o600, 'the key is private to its owner')
})

t.test('reuses the files on later starts', async (t) => {
  const dir = await tempDir()
  const first = await loadOrCreate(dir, names)
  const second = await loadOrCreate(dir, names)
  t.equal(second.created, false)
  t.same(second.certificate, first.certificate)
})

t.test('uses a certificate and key that someone else put there, with no CA file', async (t) => {
  const source = await tempDir()
  const { certificate } = await loadOrCreate(source, names)
  const dir = await tempDir()
  await writeFile(join(dir, FILES.cert), certificate.cert)
  await writeFile(join(dir, FILES.key), certificate.key)
  const loaded = await loadOrCreate(dir, names)
  t.same([loaded.created, loaded.certificate.ca], [false, undefined])
})

t.test(
  'refuses half a pair, a key of another certificate, and an expired certificate',
  async (t) => {
    const a = await loadOrCreate(await tempDir(), names)
    const b = await loadOrCreate(await tempDir(), names)

    const half = await tempDir()
    await writeFile(join(half, FILES.cert), a.certificate.cert)
    await t.rejects(loadOrCreate(half, names), /holds only one of tls\.crt and tls\.key/)

    const mismatched = await tempDir()
    await writeFile(join(mismatched, FILES.cert), a.certificate.cert)
    await writeFile(join(mismatched, FILES.key), b.certificate.key)
    await t.rejects(loadOrCreate(mismatched, names), /tls\.key does not match/)

    const expired = await tempDir()
    const twoYearsAgo = new Date(Date.now() - 2 * 365 * 24 * 3600 * 1000)
    await loadOrCreate(expired, names, twoYearsAgo)
    await t.rejects(loadOrCreate(expired, names), /expired on .*; remove/)
  },
)
