// When certificates are renewed, from the Secret's content and the time alone: a serving
// certificate with less than a third of its life left, a CA likewise, in two steps (the new CA
// joins the bundle first and signs only once it has settled), and an old CA that leaves the bundle
// when it expires.
import type { X509Certificate } from 'node:crypto'
import t from 'tap'
import { isIssuedBy, parseBundle } from '../../src/tls/inspect.ts'
import { createSet } from '../../src/tls/issue.ts'
import { DEFAULT_POLICY, planRenewal, type Renewal, renew } from '../../src/tls/renewal.ts'
import {
  type CertificateSet,
  fromSecret,
  type ParsedSet,
  toSecret,
} from '../../src/tls/tls-secret.ts'
import { DAY_MS, fingerprint, names, START } from './support.ts'

/** The set as ensureCertificate() would read it back from the Secret. */
function parse(set: CertificateSet): ParsedSet {
  const read = fromSecret(toSecret({ namespace: 'ns', name: 'tls' }, set))
  if (!read.ok) throw new Error(read.problem)
  return read.parsed
}

const at = (days: number) => new Date(START.getTime() + days * DAY_MS)
const plan = (set: CertificateSet, days: number): Renewal =>
  planRenewal(parse(set), names, at(days), DEFAULT_POLICY)

t.test('a serving certificate is renewed once a third of its year is left', async (t) => {
  const set = await createSet(names, START)
  t.equal(plan(set, 0), 'none')
  t.equal(plan(set, 243), 'none', '122 days left: more than a third')
  t.equal(plan(set, 244), 'serving', '121 days left: less than a third')
  t.equal(plan(set, 366), 'serving', 'expired')
  const renewed = await renew(parse(set), 'serving', names, at(244))
  t.equal(renewed.ca, set.ca, 'the same CA, and the bundle text is untouched')
  t.equal(renewed.caKey, set.caKey)
  t.equal(plan(renewed, 244), 'none')
})

t.test('a CA is rotated in two steps, keeping the old one in the bundle', async (t) => {
  // Ten years, renewed from 6 years and 8 months on: a serving certificate issued just before.
  const caDue = Math.ceil((10 * 365 * 2) / 3) + 1
  let set = await createSet(names, START)
  set = await renew(parse(set), 'serving', names, at(caDue - 10))
  t.equal(plan(set, caDue), 'ca')

  const rotated = await renew(parse(set), 'ca', names, at(caDue))
  const [newCa, oldCa, ...rest] = parseBundle(rotated.ca) as X509Certificate[]
  t.same(rest, [], 'two CAs in ca.crt')
  t.equal(oldCa?.fingerprint256, fingerprint(set.ca), 'the old CA second')
  t.not(newCa?.fingerprint256, fingerprint(set.ca), 'a new CA first')
  t.not(newCa?.subject, oldCa?.subject, 'told apart by name, as selfsigned writes no key ids')
  t.equal(rotated.cert, set.cert, 'the serving certificate stays until the new CA has settled')
  t.equal(plan(rotated, caDue), 'none')

  // 350 days later the serving certificate is due; the new CA has long settled and signs it.
  const servingDue = caDue - 10 + 244
  t.equal(plan(rotated, servingDue), 'serving')
  const resigned = await renew(parse(rotated), 'serving', names, at(servingDue))
  const serving = parse(resigned).serving
  t.ok(newCa && isIssuedBy(serving, newCa), 'signed by the new CA')
  t.equal(resigned.ca, rotated.ca, 'the old CA is still in the bundle')

  // The old CA expires ten years after START, and then leaves the bundle.
  const lastBefore = await renew(parse(resigned), 'serving', names, at(3600))
  t.equal(plan(lastBefore, 3649), 'none', 'the old CA is trusted until its last day')
  t.equal(plan(lastBefore, 3651), 'prune')
  const pruned = await renew(parse(lastBefore), 'prune', names, at(3651))
  t.same(
    parseBundle(pruned.ca).map((c) => c.fingerprint256),
    [newCa?.fingerprint256],
  )
})

t.test('a young CA waits to sign until the caBundle has had time to spread', async (t) => {
  const caDue = Math.ceil((10 * 365 * 2) / 3) + 1
  const set = await createSet(names, START)
  // The serving certificate is due (65 days left) when the CA is rotated.
  const oldServing = await renew(parse(set), 'serving', names, at(caDue - 300))
  t.equal(plan(oldServing, caDue), 'ca', 'the CA first')
  const rotated = await renew(parse(oldServing), 'ca', names, at(caDue))
  const settleDays = DEFAULT_POLICY.caSettleMs / DAY_MS
  t.equal(plan(rotated, caDue + settleDays / 2), 'none', 'not while the new CA is young')
  t.equal(plan(rotated, caDue + settleDays), 'serving', 'once it has settled')
})

t.test(
  'an expired CA means starting over; an expired serving certificate comes first',
  async (t) => {
    const set = await createSet(names, START)
    t.equal(plan(set, 3651), 'replace')
    const fresh = await renew(parse(set), 'replace', names, at(3651))
    t.not(fingerprint(fresh.ca), fingerprint(set.ca))
    t.equal(plan(fresh, 3651), 'none')
  },
)
