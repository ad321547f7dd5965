// Serving certificates for a laptop or a first start: reuse what certs/ holds, or generate a CA
// and a serving certificate signed by it (SHA-256, EC P-256) and keep them for later starts.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describeFault, servingFault } from './inspect.ts'
import { createSet } from './issue.ts'
import type { CertificateNames } from './names.ts'

export { type CertificateNames, serviceNames } from './names.ts'

export const FILES = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const

export interface ServingCertificate {
  cert: string
  key: string
  /** The CA that signed `cert` (during a CA rotation, the new and the old CA), as PEM: what the
   *  webhook configuration's caBundle must hold. */
  ca: string | undefined
}

/** True when `a` and `b` are the same certificate, key and CA bundle. */
export function isSameCertificate(a: ServingCertificate, b: ServingCertificate): boolean {
  return a.cert === b.cert && a.key === b.key && a.ca === b.ca
}

/** Reads the certificate in `dir`, or creates one there if it holds none. */
export async function loadOrCreate(
  dir: string,
  names: CertificateNames,
  now = new Date(),
): Promise<{ certificate: ServingCertificate; created: boolean }> {
  const existing = await readExisting(dir)
  if (existing) return { certificate: check(existing, dir, now), created: false }
  const certificate = await createCertificate(names, now)
  await save(dir, certificate)
  return { certificate, created: true }
}

async function readExisting(dir: string): Promise<ServingCertificate | undefined> {
  const [cert, key, ca] = await Promise.all(
    [FILES.cert, FILES.key, FILES.ca].map((f) => readFile(join(dir, f), 'utf8').catch(missing)),
  )
  if (cert === undefined && key === undefined) return undefined
  if (cert === undefined || key === undefined) {
    throw new Error(
      `${dir} holds only one of ${FILES.cert} and ${FILES.key}; add the other or remove both`,
    )
  }
  return { cert, key, ca }
}

function missing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined
  throw error
}

/** Refuses a certificate that would fail every handshake, with a message that says what to do. */
function check(certificate: ServingCertificate, dir: string, now: Date): ServingCertificate {
  const found = servingFault(certificate.cert, certificate.key, now)
  if (found === undefined) return certificate
  const problem = describeFault(found, { cert: join(dir, FILES.cert), key: join(dir, FILES.key) })
  // Nothing renews these files: an expired certificate is replaced by generating a new set.
  const hint = found.fault === 'expired' ? `; remove ${dir} to generate a new one` : ''
  throw new Error(`${problem}${hint}`)
}

// The CA's key is not kept: nothing here signs a second certificate with it.
async function createCertificate(names: CertificateNames, now: Date): Promise<ServingCertificate> {
  const { cert, key, ca } = await createSet(names, now)
  return { cert, key, ca }
}

// Each file is written whole and renamed into place, so a crash or a second process starting at
// the same moment never leaves a half-written key behind. The key is readable by its owner only.
async function save(dir: string, certificate: ServingCertificate): Promise<void> {
  await mkdir(dir, { recursive: true })
  const files: [string, string | undefined, number][] = [
    [FILES.ca, certificate.ca, 0o644],
    [FILES.key, certificate.key, 0o600],
    [FILES.cert, certificate.cert, 0o644],
  ]
  for (const [name, content, mode] of files) {
    if (content === undefined) continue
    const temporary = join(dir, `.${name}.${process.pid}.tmp`)
    await writeFile(temporary, content, { mode })
    await rename(temporary, join(dir, name))
  }
}
