// The webhook's certificates from a Secret in its own namespace, so that every replica serves the
// same ones. Read it; if it is absent, generate a set and create it: the first replica to POST
// wins and the others, answered 409 AlreadyExists, read the winner's. A set that needs renewing
// is replaced with a PUT on the resourceVersion that was read, so of two replicas renewing at
// once one wins and the other, answered 409 Conflict, reads and serves the winner's.
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { createSet } from './issue.ts'
import { type SecretClient, type SecretRef, secretClient } from './kube-api.ts'
import type { CertificateNames } from './names.ts'
import { DEFAULT_POLICY, planRenewal, type RenewalPolicy, renew } from './renewal.ts'
import { type CertificateSet, DEFAULT_SECRET_NAME, fromSecret, toSecret } from './tls-secret.ts'

export interface SecretCertificateOptions {
  kubeConfig: KubeConfig
  /** The webhook's own namespace, where the Secret lives. */
  namespace: string
  /** Default: sidecar-patterns-tls. */
  secretName?: string
  /** What the serving certificate covers: serviceNames(service, namespace). */
  names: CertificateNames
  log: Logger
  /** The clock; tests move it forward to make certificates due. */
  now?: () => Date
  policy?: RenewalPolicy
  /** Aborts the requests in flight. */
  signal?: AbortSignal
}

// A lost race means another replica wrote a good set, which the next read adopts; losing several
// in a row means something keeps rewriting the Secret, and retrying further would not help.
const MAX_ATTEMPTS = 5

/** The certificates to serve: read from the Secret, created if absent, renewed when due. */
export async function ensureCertificate(
  options: SecretCertificateOptions,
): Promise<CertificateSet> {
  const ref = { namespace: options.namespace, name: options.secretName ?? DEFAULT_SECRET_NAME }
  const signal = options.signal ?? new AbortController().signal
  const secrets = secretClient(options.kubeConfig, ref, signal)
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const outcome = await attemptOnce(secrets, ref, options)
    if (outcome !== 'lost') return outcome
    options.log.info({ secret: ref }, 'another replica wrote the certificate Secret first')
  }
  throw new Error(`${describe(ref)}: still changing under us after ${MAX_ATTEMPTS} attempts`)
}

async function attemptOnce(
  secrets: SecretClient,
  ref: SecretRef,
  options: SecretCertificateOptions,
): Promise<CertificateSet | 'lost'> {
  const { names, log } = options
  const now = options.now?.() ?? new Date()
  const secret = await secrets.read()
  if (!secret) {
    const set = await createSet(names, now)
    if ((await secrets.create(toSecret(ref, set))) === 'exists') return 'lost'
    log.info({ secret: ref }, 'created the certificate Secret with a new CA')
    return set
  }
  const read = fromSecret(secret)
  if (!read.ok && read.foreign) {
    throw new Error(`${describe(ref)} cannot be used: ${read.problem}; name another Secret`)
  }
  let next: CertificateSet
  if (read.ok) {
    const renewal = planRenewal(read.parsed, names, now, options.policy ?? DEFAULT_POLICY)
    if (renewal === 'none') return read.parsed.set
    log.info({ secret: ref, renewal }, 'renewing the certificates in the Secret')
    next = await renew(read.parsed, renewal, names, now)
  } else {
    log.warn({ secret: ref, problem: read.problem }, 'replacing an unusable certificate Secret')
    next = await createSet(names, now)
  }
  const written = await secrets.replace(toSecret(ref, next, secret.metadata?.resourceVersion))
  return written === 'conflict' ? 'lost' : next
}

const describe = (ref: SecretRef) => `Secret ${ref.namespace}/${ref.name}`
