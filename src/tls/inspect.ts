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

/** Why a certificate and key cannot be served at `now`, or undefined when they can. */
export function servingProblem(cert: string, key: string, now: Date): string | undefined {
  let certificate: X509Certificate
  try {
    certificate = firstCertificate(cert)
  } catch (error) {
    return `the certificate does not parse: ${(error as Error).message}`
  }
  if (!keyMatches(certificate, key)) return 'the key does not match the certificate'
  if (certificate.validToDate <= now) return `the certificate expired on ${certificate.validTo}`
  return undefined
}

/** True when `certificate` is valid for every DNS name and IP address of `names`. */
export function coversNames(certificate: X509Certificate, names: CertificateNames): boolean {
  const options = { subject: 'never', wildcards: false } as const
  return (
    names.dnsNames.every((name) => certificate.checkHost(name, options) !== undefined) &&
    names.ips.every((ip) => certificate.checkIP(ip) !== undefined)
  )
}
