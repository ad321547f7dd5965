// Certificates mounted from a Secret (cert-manager mode): the kubelet updates the volume by
// swapping the `..data` symlink to a new timestamped folder, and the watcher serves the new pair
// without a restart; a pair that does not go together or has expired is refused with one log
// line and the last good pair stays.
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import type { ServingCertificate } from '../../src/tls/certificates.ts'
import { EXPIRY_METRIC, registerExpiryMetric } from '../../src/tls/expiry-metrics.ts'
import { createSet, issueServing } from '../../src/tls/issue.ts'
import { watchCertificateFiles } from '../../src/tls/watch-files.ts'
import { until } from '../helpers/eventually.ts'
import { capturingLog, DAY_MS, names } from './support.ts'

interface Files {
  'tls.crt': string
  'tls.key': string
  'ca.crt'?: string
}

/** A Secret volume as the kubelet's AtomicWriter lays it out, with its update. */
async function secretVolume(t: Test, first: Files) {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-volume-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  let version = 0
  let current = ''
  const write = async (files: Files) => {
    version += 1
    const folder = `..2030_01_01_00_00_00.${String(version).padStart(9, '0')}`
    await mkdir(join(dir, folder))
    for (const [name, content] of Object.entries(files))
      await writeFile(join(dir, folder, name), content)
    await symlink(folder, join(dir, '..data_tmp'))
    await rename(join(dir, '..data_tmp'), join(dir, '..data'))
    if (current) await rm(join(dir, current), { recursive: true })
    current = folder
  }
  await write(first)
  for (const name of Object.keys(first)) await symlink(join('..data', name), join(dir, name))
  return { dir, update: write }
}

const filesOf = (c: { cert: string; key: string; ca: string }): Files => ({
  'tls.crt': c.cert,
  'tls.key': c.key,
  'ca.crt': c.ca,
})

// A poll too slow to matter: what these tests see comes from the folder watch.
const WATCH_ONLY = { pollMs: 60 * 60 * 1000 }

t.test('serves the new pair after the kubelet swaps ..data', async (t) => {
  const [a, b] = await Promise.all([createSet(names, new Date()), createSet(names, new Date())])
  const volume = await secretVolume(t, filesOf(a))
  const received: ServingCertificate[] = []
  const { log } = capturingLog()
  const files = await watchCertificateFiles(volume.dir, (c) => received.push(c), log, WATCH_ONLY)
  t.teardown(() => files.close())
  t.same(files.current(), { cert: a.cert, key: a.key, ca: a.ca })
  const registry = new Registry()
  registerExpiryMetric(registry, files.current)
  const metric = await registry.getSingleMetric(EXPIRY_METRIC)?.get()
  const serving = metric?.values.find((v) => v.labels.certificate === 'serving')?.value ?? 0
  t.ok(Math.abs(serving - 365 * 86_400) < 600, 'the expiry gauge works on mounted files too')
  await volume.update(filesOf(b))
  await until(() => received.length > 0, { what: 'the new pair to be served' })
  t.same(received, [{ cert: b.cert, key: b.key, ca: b.ca }])
  t.same(files.current(), received[0])
})

t.test('refuses a pair that does not match, keeps the old one, and says so once', async (t) => {
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => createSet(names, new Date())))
  if (!a || !b || !c) throw new Error('unreachable')
  const volume = await secretVolume(t, filesOf(a))
  const received: ServingCertificate[] = []
  const { log, lines } = capturingLog()
  // Every reload asks the clock first: counting the calls counts the reloads.
  let reloads = 0
  const now = () => {
    reloads += 1
    return new Date()
  }
  const files = await watchCertificateFiles(volume.dir, (x) => received.push(x), log, {
    pollMs: 20,
    now,
  })
  t.teardown(() => files.close())
  await volume.update({ ...filesOf(b), 'tls.key': c.key })
  await until(() => lines.length > 0, { what: 'the bad pair to be refused' })
  // Reloads run one at a time: once the third after this point has begun, two whole reloads of
  // the same bad pair have run since it was logged.
  const logged = reloads
  await until(() => reloads >= logged + 3, { what: 'two more reloads of the bad pair' })
  t.match(lines, [
    {
      level: 50,
      msg: 'certificate files refused; the last good stay',
      problem: 'the key does not match the certificate',
    },
  ])
  t.equal(lines.length, 1, 'not again on every poll')
  t.same(received, [])
  t.equal(files.current().cert, a.cert)
  await volume.update(filesOf(c))
  await until(() => received.length > 0, { what: 'the good pair to be served' })
  t.equal(files.current().cert, c.cert, 'a good pair after a bad one is served')
})

t.test('refuses an expired certificate', async (t) => {
  const a = await createSet(names, new Date())
  const old = new Date(Date.now() - 400 * DAY_MS)
  const expired = await issueServing({ cert: a.ca, key: a.caKey }, names, old)
  const volume = await secretVolume(t, filesOf(a))
  const { log, lines } = capturingLog()
  const files = await watchCertificateFiles(volume.dir, () => t.fail('served'), log, WATCH_ONLY)
  t.teardown(() => files.close())
  await volume.update({ 'tls.crt': expired.cert, 'tls.key': expired.key })
  await until(() => lines.length > 0, { what: 'the expired certificate to be refused' })
  t.match(lines, [{ problem: /^the certificate expired on / }])
})

t.test('refuses to start on files that cannot be served; a missing ca.crt is fine', async (t) => {
  const [a, b] = await Promise.all([createSet(names, new Date()), createSet(names, new Date())])
  const { log } = capturingLog()
  const bad = await secretVolume(t, { 'tls.crt': a.cert, 'tls.key': b.key })
  await t.rejects(
    watchCertificateFiles(bad.dir, () => undefined, log),
    {
      message: `${bad.dir}: the key does not match the certificate`,
    },
  )
  const noCa = await secretVolume(t, { 'tls.crt': a.cert, 'tls.key': a.key })
  const files = await watchCertificateFiles(noCa.dir, () => undefined, log)
  files.close()
  t.same(files.current(), { cert: a.cert, key: a.key, ca: undefined })
})
