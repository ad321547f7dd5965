// Least privilege for certificates kept in a Secret: the exact requests the code makes across a
// first start, a lost create race, a renewal, a lost renewal race and a caBundle patch, as RBAC
// sees them. manifests/base/rbac.yaml must grant these and nothing more; a change here means the
// Role changes too.
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t from 'tap'
import { certificateManager } from '../../src/tls/certificate-manager.ts'
import { ensureCertificate } from '../../src/tls/secret-certificates.ts'
import { type Authorization, authorizationOf } from '../helpers/fake-apiserver-rbac.ts'
import { clock, DAY_MS, fakeCluster, replica, SECRET_PATH, SECRETS_PATH } from './support.ts'

t.test(
  'secret mode uses get/create/update on its Secret and get/patch on its webhook configuration',
  async (t) => {
    const fake = await fakeCluster(t)
    const time = clock()
    const start = (now = time.now) =>
      certificateManager({
        ...replica(fake, { now }),
        registry: new Registry(),
        onCertificate: () => undefined,
        log: pino({ level: 'silent' }),
      })
    const a = start()
    const b = start()
    t.teardown(() => Promise.all([a.stop(), b.stop()]))
    fake.beforeNext('POST', SECRETS_PATH, () => ensureCertificate(replica(fake, { now: time.now })))
    await a.start()
    await b.start()
    time.advance(250 * DAY_MS)
    fake.beforeNext('PUT', SECRET_PATH, () => b.check())
    await a.check()

    t.same(
      fake
        .requests()
        .filter((r) => r.status === 409)
        .map((r) => r.method),
      ['POST', 'PUT'],
      'both races were lost once',
    )
    const used = new Set(fake.requests().map((r) => describe(authorizationOf(r))))
    t.same([...used].sort(), [
      'create secrets in sidecar-patterns',
      'get admissionregistration.k8s.io/mutatingwebhookconfigurations sidecar-patterns',
      'get secrets in sidecar-patterns sidecar-patterns-tls',
      'patch admissionregistration.k8s.io/mutatingwebhookconfigurations sidecar-patterns',
      'update secrets in sidecar-patterns sidecar-patterns-tls',
    ])
  },
)

/** "verb group/resource in namespace name", as a Role rule with resourceNames reads. */
function describe(a: Authorization): string {
  const resource = a.apiGroup === '' ? a.resource : `${a.apiGroup}/${a.resource}`
  const scope = a.namespace === undefined ? '' : ` in ${a.namespace}`
  return `${a.verb} ${resource}${scope}${a.name === undefined ? '' : ` ${a.name}`}`
}
