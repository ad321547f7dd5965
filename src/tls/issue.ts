// Issues the webhook's certificates with selfsigned: a CA, and serving certificates signed by it.
// EC P-256 keys and SHA-256 signatures (selfsigned signs with SHA-1 unless told otherwise).
import { randomBytes, X509Certificate } from 'node:crypto'
import { generate } from 'selfsigned'
import type { CertificateNames } from './names.ts'
import type { CertificateSet } from './tls-secret.ts'

/** A certificate and its private key, as PEM. */
export interface KeyPair {
  cert: string
  key: string
}

const DAY_MS = 24 * 60 * 60 * 1000

/** How long what the webhook issues stays valid. */
export const LIFETIME_MS = Object.freeze({ ca: 10 * 365 * DAY_MS, serving: 365 * DAY_MS })

// A certificate is valid from a few minutes before it was issued: the API server checks it
// against its own clock, which may run a little behind the webhook node's, and a renewed
// certificate that is "not yet valid" there would fail every call for those seconds.
const CLOCK_SKEW_MS = 5 * 60 * 1000

const KEY = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

/** A new CA, valid for LIFETIME_MS.ca from `now`. */
export async function createCa(now: Date): Promise<KeyPair> {
  // selfsigned writes no subject or authority key identifiers, so a verifier that trusts two CAs
  // during a rotation can only tell them apart by name (OpenSSL picks the issuer by subject):
  // each CA gets a name of its own.
  const suffix = `${now.toISOString().slice(0, 10)} ${randomBytes(4).toString('hex')}`
  const ca = await generate(
    [{ name: 'commonName', value: `sidecar-patterns webhook CA ${suffix}` }],
    {
      ...KEY,
      notBeforeDate: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfterDate: new Date(now.getTime() + LIFETIME_MS.ca),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  )
  return { cert: pem(ca.cert), key: pem(ca.private) }
}

/** A serving certificate for `names` signed by `ca`, valid for a year but never beyond the CA. */
export async function issueServing(
  ca: KeyPair,
  names: CertificateNames,
  now: Date,
): Promise<KeyPair> {
  const caExpiry = new X509Certificate(ca.cert).validToDate.getTime()
  const serving = await generate(
    [{ name: 'commonName', value: names.dnsNames.at(-1) ?? 'localhost' }],
    {
      ...KEY,
      notBeforeDate: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfterDate: new Date(Math.min(now.getTime() + LIFETIME_MS.serving, caExpiry)),
      ca,
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...names.dnsNames.map((value) => ({ type: 2 as const, value })),
            ...names.ips.map((ip) => ({ type: 7 as const, ip })),
          ],
        },
      ],
    },
  )
  return { cert: pem(serving.cert), key: pem(serving.private) }
}

/** A new CA and a serving certificate it signed: a first start, or a start over. */
export async function createSet(names: CertificateNames, now: Date): Promise<CertificateSet> {
  const ca = await createCa(now)
  const serving = await issueServing(ca, names, now)
  return { ...serving, ca: ca.cert, caKey: ca.key }
}

// selfsigned ends its PEM without a newline; a bundle of several certificates needs one after each.
const pem = (text: string) => `${text.trim()}\n`
