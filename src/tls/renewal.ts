// When the webhook's certificates are renewed, and how: a pure plan from the Secret's content and
// the time, then the new set. Rotating the CA is done in two steps so that the API server never
// meets a serving certificate it does not trust yet:
//   1. a new CA goes to the front of the bundle (the old one stays) and takes over ca.key; the
//      serving certificate, signed by the old CA, stays, and the caBundle is patched;
//   2. only once the new CA has been out for `caSettleMs`, and the serving certificate is due, a
//      new serving certificate is signed by the new CA.
// The old CA leaves the bundle when it expires; every serving certificate it signed has expired
// by then, as none outlives its CA.
import type { X509Certificate } from 'node:crypto'
import { coversNames, toBundle } from './inspect.ts'
import { createCa, createSet, issueServing } from './issue.ts'
import type { CertificateNames } from './names.ts'
import type { CertificateSet, ParsedSet } from './tls-secret.ts'

export interface RenewalPolicy {
  /** Renew a certificate once less than this fraction of its lifetime is left. */
  renewFraction: number
  /** How long a new CA is in the caBundle before it signs a serving certificate: enough for the
   *  patched webhook configuration to reach every API server. An expired serving certificate is
   *  replaced at once regardless. */
  caSettleMs: number
}

export const DEFAULT_POLICY: RenewalPolicy = Object.freeze({
  renewFraction: 1 / 3,
  caSettleMs: 60 * 60 * 1000,
})

/** What to do to the Secret: one step per check, the most urgent first. */
export type Renewal =
  | 'none'
  /** The CA has expired: start over with a new CA and serving certificate. */
  | 'replace'
  /** The serving certificate expired, misses one of the names, or is due and the CA settled. */
  | 'serving'
  /** The CA is due: a new one joins the front of the bundle. */
  | 'ca'
  /** An earlier CA in the bundle has expired: drop it. */
  | 'prune'

/** When `certificate` is due for renewal: once only `renewFraction` of its life is left. */
export function renewsFrom(certificate: X509Certificate, policy: RenewalPolicy): Date {
  const { validFromDate: from, validToDate: to } = certificate
  return new Date(to.getTime() - (to.getTime() - from.getTime()) * policy.renewFraction)
}

/** The step that `parsed` needs at `now` to stay valid for `names`. */
export function planRenewal(
  parsed: ParsedSet,
  names: CertificateNames,
  now: Date,
  policy: RenewalPolicy,
): Renewal {
  const [ca] = parsed.bundle
  const due = (certificate: X509Certificate) => renewsFrom(certificate, policy) < now
  if (ca.validToDate <= now) return 'replace'
  // A Service renamed by a flag needs a certificate for its new name before anything else.
  if (parsed.serving.validToDate <= now || !coversNames(parsed.serving, names)) return 'serving'
  if (due(ca)) return 'ca'
  const settled = now.getTime() - ca.validFromDate.getTime() >= policy.caSettleMs
  if (due(parsed.serving) && settled) return 'serving'
  if (parsed.bundle.some((earlier) => earlier.validToDate <= now)) return 'prune'
  return 'none'
}

/** The set after `renewal`. */
export async function renew(
  parsed: ParsedSet,
  renewal: Exclude<Renewal, 'none'>,
  names: CertificateNames,
  now: Date,
): Promise<CertificateSet> {
  const { set, bundle } = parsed
  const valid = bundle.filter((certificate) => certificate.validToDate > now)
  // Unchanged text when nothing expired, so the caBundle is not patched for nothing.
  const trusted = valid.length === bundle.length ? set.ca : toBundle(valid)
  switch (renewal) {
    case 'replace':
      return createSet(names, now)
    case 'serving': {
      const serving = await issueServing({ cert: bundle[0].toString(), key: set.caKey }, names, now)
      return { ...set, ...serving, ca: trusted }
    }
    case 'ca': {
      const ca = await createCa(now)
      return { ...set, ca: `${ca.cert}${trusted}`, caKey: ca.key }
    }
    case 'prune':
      return { ...set, ca: trusted }
  }
}
