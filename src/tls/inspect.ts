// Reading certificates that someone else wrote (a Secret, mounted files): parsed, checked against
// their key, and refused with a sentence that says what is wrong.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { CertificateNames } from './names.ts'

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Each certificate of a PEM bundle, in order; throws if there is none or one does not parse. */
export function parseBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) throw new Error('holds no PEM certificate')
  return blocks.map((block) => new X509Certificate(block))
}

/** The first certificate of a PEM bundle (a chain's leaf); throws if there is none. */
export function firstCertificate(pem: string): X509Certificate {
  const [first] = parseBundle(pem)
  if (!first) throw new Error('holds no PEM certificate')
  return first
}

/** The bundle written back: one PEM block per certificate, each ending with a newline. */
export function toBundle(certificates: readonly X509Certificate[]): string {
  return `${certificates.map((certificate) => certificate.toString().trim()).join('\n')}\n`
}

/** True when `keyPem` is the private key of `certificate`; false for a key that does not parse. */
export function keyMatches(certificate: X509Certificate, keyPem: string): boolean {
  try {
    return certificate.checkPrivateKey(createPrivateKey(keyPem))
  } catch {
    return false
  }
}

/** True when `issuer` signed `certificate`. */
export function isIssuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)
}

/** What keeps a certificate and key from being served. */
export type ServingFault =
  | { fault: 'unparsable'; error: string }
  | { fault: 'key-mismatch' }
  | { fault: 'expired'; validTo: string }

/** What keeps a certificate and key from being served at `now`, or undefined when nothing does. */
export function servingFault(cert: string, key: string, now: Date): ServingFault | undefined {
  let certificate: X509Certificate
  try {
    certificate = firstCertificate(cert)
  } catch (error) {
    return { fault: 'unparsable', error: (error as Error).message }
  }
  if (!keyMatches(certificate, key)) return { fault: 'key-mismatch' }
  if (certificate.validToDate <= now) return { fault: 'expired', validTo: certificate.validTo }
  return undefined
}

/** The fault as a sentence about where the certificate and key came from. */
export function describeFault(
  found: ServingFault,
  names: { cert: string; key: string } = { cert: 'the certificate', key: 'the key' },
): string {
  switch (found.fault) {
    case 'unparsable':
      return `${names.cert} does not parse: ${found.error}`
    case 'key-mismatch':
      return `${names.key} does not match ${names.cert}`
    case 'expired':
      return `${names.cert} expired on ${found.validTo}`
  }
}

/** Why a certificate and key cannot be served at `now`, or undefined when they can. */
export function servingProblem(cert: string, key: string, now: Date): string | undefined {
  const found = servingFault(cert, key, now)
  return found && describeFault(found)
}

/** True when `certificate` is valid for every DNS name and IP address of `names`. */
export function coversNames(certificate: X509Certificate, names: CertificateNames): boolean {
  const options = { subject: 'never', wildcards: false } as const
  return (
    names.dnsNames.every((name) => certificate.checkHost(name, options) !== undefined) &&
    names.ips.every((ip) => certificate.checkIP(ip) !== undefined)
  )
}
