// The Secret that holds the webhook's certificates when it manages them itself: the shape of a
// kubernetes.io/tls Secret (tls.crt, tls.key) plus the CA bundle (ca.crt, as cert-manager names
// it) and the CA's key (ca.key), which renewing needs. Values are base64, as the API sends them.
import type { X509Certificate } from 'node:crypto'
import type { V1Secret } from '@kubernetes/client-node'
import { firstCertificate, isIssuedBy, keyMatches, parseBundle } from './inspect.ts'

export const DEFAULT_SECRET_NAME = 'sidecar-patterns-tls'

export const SECRET_KEYS = Object.freeze({
  cert: 'tls.crt',
  key: 'tls.key',
  ca: 'ca.crt',
  caKey: 'ca.key',
} as const)

/** Everything the Secret holds, as PEM. */
export interface CertificateSet {
  /** The serving certificate. */
  cert: string
  key: string
  /** The CA bundle: the current CA first, then earlier CAs that are still trusted. */
  ca: string
  /** The current CA's key, which signs the next serving certificate. */
  caKey: string
}

/** A CertificateSet read from a Secret and parsed once. */
export interface ParsedSet {
  set: CertificateSet
  serving: X509Certificate
  /** The bundle in order: `bundle[0]` is the current CA. */
  bundle: [X509Certificate, ...X509Certificate[]]
}

export type ReadSecret =
  | { ok: true; parsed: ParsedSet }
  /** `foreign`: the Secret is not one this webhook wrote (no ca.key), so it must not be changed. */
  | { ok: false; problem: string; foreign: boolean }

/** A Secret object carrying `set`, ready to create or (with a resourceVersion) to replace. */
export function toSecret(
  target: { namespace: string; name: string },
  set: CertificateSet,
  resourceVersion?: string,
): V1Secret {
  const data = Object.fromEntries(
    Object.entries(SECRET_KEYS).map(([field, key]) => [
      key,
      Buffer.from(set[field as keyof CertificateSet]).toString('base64'),
    ]),
  )
  const metadata = { name: target.name, namespace: target.namespace }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: resourceVersion === undefined ? metadata : { ...metadata, resourceVersion },
    type: 'kubernetes.io/tls',
    data,
  }
}

/** The set a Secret holds, checked: every certificate parses, keys match, the CA signed it. */
export function fromSecret(secret: V1Secret): ReadSecret {
  const data = secret.data ?? {}
  const value = (key: string) => {
    const base64 = data[key]
    return base64 === undefined ? undefined : Buffer.from(base64, 'base64').toString('utf8')
  }
  const [cert, key, ca, caKey] = Object.values(SECRET_KEYS).map(value)
  if (cert !== undefined && caKey === undefined) {
    const problem = `it has ${SECRET_KEYS.cert} but no ${SECRET_KEYS.caKey}: another tool manages it`
    return { ok: false, problem, foreign: true }
  }
  if (cert === undefined || key === undefined || ca === undefined || caKey === undefined) {
    const missing = Object.values(SECRET_KEYS).filter((k) => data[k] === undefined)
    return { ok: false, problem: `it lacks ${missing.join(', ')}`, foreign: false }
  }
  return check({ cert, key, ca, caKey })
}

function check(set: CertificateSet): ReadSecret {
  const fail = (problem: string): ReadSecret => ({ ok: false, problem, foreign: false })
  let serving: X509Certificate
  let bundle: X509Certificate[]
  try {
    serving = firstCertificate(set.cert)
    bundle = parseBundle(set.ca)
  } catch (error) {
    return fail(`a certificate does not parse: ${(error as Error).message}`)
  }
  const [current, ...earlier] = bundle
  if (!current) return fail(`${SECRET_KEYS.ca} holds no certificate`)
  if (!keyMatches(serving, set.key)) return fail(`${SECRET_KEYS.key} does not match`)
  if (!current.ca) return fail(`the first certificate of ${SECRET_KEYS.ca} is not a CA`)
  if (!keyMatches(current, set.caKey)) {
    return fail(`${SECRET_KEYS.caKey} does not match the first CA of ${SECRET_KEYS.ca}`)
  }
  if (!bundle.some((issuer) => isIssuedBy(serving, issuer))) {
    return fail(`no CA in ${SECRET_KEYS.ca} signed ${SECRET_KEYS.cert}`)
  }
  return { ok: true, parsed: { set, serving, bundle: [current, ...earlier] } }
}
