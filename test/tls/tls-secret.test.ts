// What a Secret must hold to be served: the four keys, certificates that parse, keys that match,
// a serving certificate signed by a CA of the bundle. Anything else is replaced, except a Secret
// without ca.key, which another tool wrote and which is left alone.
import t from 'tap'
import { createSet } from '../../src/tls/issue.ts'
import { type CertificateSet, fromSecret, toSecret } from '../../src/tls/tls-secret.ts'
import { names } from './support.ts'

const ref = { namespace: 'ns', name: 'tls' }
const read = (set: CertificateSet) => fromSecret(toSecret(ref, set))

t.test('round-trips a set through the Secret shape, base64 as the API wants', async (t) => {
  const set = await createSet(names, new Date())
  const secret = toSecret(ref, set, '42')
  t.match(secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'tls', namespace: 'ns', resourceVersion: '42' },
    type: 'kubernetes.io/tls',
  })
  t.same(Object.keys(secret.data ?? {}).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key'])
  t.equal(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString(), set.cert)
  t.match(read(set), { ok: true, parsed: { set } })
})

t.test('says what is wrong with a set that cannot be served', async (t) => {
  const [a, b] = await Promise.all([createSet(names, new Date()), createSet(names, new Date())])
  t.same(read({ ...a, key: b.key }), {
    ok: false,
    problem: 'tls.key does not match',
    foreign: false,
  })
  t.same(read({ ...a, caKey: b.caKey }), {
    ok: false,
    problem: 'ca.key does not match the first CA of ca.crt',
    foreign: false,
  })
  t.same(read({ ...a, ca: b.ca, caKey: b.caKey }), {
    ok: false,
    problem: 'no CA in ca.crt signed tls.crt',
    foreign: false,
  })
  t.match(read({ ...a, cert: 'garbage' }), { ok: false, problem: /^a certificate does not parse/ })
  t.match(read({ ...a, ca: a.cert, caKey: a.key }), {
    ok: false,
    problem: 'the first certificate of ca.crt is not a CA',
  })
  const { 'ca.key': _, ...noCaKey } = toSecret(ref, a).data ?? {}
  t.match(fromSecret({ data: noCaKey }), { ok: false, foreign: true })
  t.same(fromSecret({ data: {} }), {
    ok: false,
    problem: 'it lacks tls.crt, tls.key, ca.crt, ca.key',
    foreign: false,
  })
})
