// The TLS between the API server and the webhook: the caBundle of every webhook entry must hold
// the CA that signed the serving certificate (else every call fails verification and the failure
// policy decides), and the certificate must be valid now, not overdue for renewal, and name the
// host the API server verifies. The serving certificate is read from the Secret both installs
// keep it in (the webhook's own, or cert-manager's Certificate): what the webhook serves, give or
// take the moments between a renewal and its reload.
import type { X509Certificate } from 'node:crypto'
import type { V1MutatingWebhookConfiguration, V1Secret } from '@kubernetes/client-node'
import { isIssuedBy, parseBundle } from '../tls/inspect.ts'
import { DEFAULT_POLICY, renewsFrom } from '../tls/renewal.ts'
import { SECRET_KEYS } from '../tls/tls-secret.ts'
import type { InstallFacts, Read } from './facts.ts'
import { type InstallNames, serviceHost } from './names.ts'
import { accessFix, type CheckResult, failed, passed } from './result.ts'

const DAY_MS = 24 * 60 * 60 * 1000

// How the API server (Go's crypto/x509 VerifyHostname) matches the name: SANs only, never the
// common name (Go 1.15 on), and a wildcard only as a whole leftmost label (`*.ns.svc`).
const GO_HOSTNAME_RULES = { subject: 'never', wildcards: true, partialWildcards: false } as const

// Who writes the certificate and the caBundle, in either install.
const WRITERS =
  'with --tls-mode secret the webhook writes the Secret and the caBundles, at start and in its 10-minute check (see its log); with the cert-manager overlay, cert-manager and its CA injector do (kubectl describe certificate)'

/** The caBundle against the serving certificate, and the certificate's validity. */
export function checkCertificates(
  facts: InstallFacts,
  names: InstallNames,
  now: Date,
): CheckResult[] {
  const chain = servingChain(facts.secret, names)
  if (!chain.ok) {
    return [
      failed('ca-bundle', chain.problem, chain.fix),
      failed('certificate', chain.problem, chain.fix),
    ]
  }
  return [
    caBundle(facts.webhookConfiguration, chain.certificates, names),
    validity(chain.certificates[0], names, now),
  ]
}

type Chain =
  | { ok: true; certificates: [X509Certificate, ...X509Certificate[]] }
  | { ok: false; problem: string; fix: string }

/** The serving certificate and any intermediates after it, from the Secret's tls.crt. */
function servingChain(read: Read<V1Secret>, names: InstallNames): Chain {
  const what = `Secret ${names.namespace}/${names.tlsSecret}`
  if ('missing' in read) return { ok: false, problem: `${what} does not exist`, fix: WRITERS }
  if ('error' in read) {
    return {
      ok: false,
      problem: `${what}: ${read.error}`,
      fix: accessFix('get secrets', names.namespace),
    }
  }
  const base64 = read.found.data?.[SECRET_KEYS.cert]
  if (base64 === undefined)
    return { ok: false, problem: `${what} has no ${SECRET_KEYS.cert}`, fix: WRITERS }
  try {
    const [first, ...rest] = parseBundle(Buffer.from(base64, 'base64').toString('utf8'))
    if (first) return { ok: true, certificates: [first, ...rest] }
  } catch (error) {
    return {
      ok: false,
      problem: `${what}: ${SECRET_KEYS.cert} ${(error as Error).message}`,
      fix: WRITERS,
    }
  }
  return { ok: false, problem: `${what}: ${SECRET_KEYS.cert} holds no certificate`, fix: WRITERS }
}

function caBundle(
  read: Read<V1MutatingWebhookConfiguration>,
  chain: readonly X509Certificate[],
  names: InstallNames,
): CheckResult {
  const check = 'ca-bundle'
  if (!('found' in read)) {
    return failed(
      check,
      `MutatingWebhookConfiguration ${names.webhookConfiguration} could not be read`,
      'see webhook-configuration',
    )
  }
  const webhooks = read.found.webhooks ?? []
  // Entries are grouped by what is wrong with them: usually all of them share one caBundle.
  const wrong = new Map<string, string[]>()
  for (const webhook of webhooks) {
    const problem = bundleProblem(webhook.clientConfig.caBundle, chain)
    if (problem) wrong.set(problem, [...(wrong.get(problem) ?? []), webhook.name])
  }
  if (wrong.size > 0) {
    const lines = [...wrong].map(([problem, entries]) => `${entries.join(', ')}: ${problem}`)
    return failed(check, lines.join('; '), WRITERS)
  }
  return passed(check, `every webhook's caBundle holds the CA that signed the serving certificate`)
}

/** Why the API server would not trust `chain` with `caBundle` (base64 PEM), if it would not. */
function bundleProblem(
  caBundle: string | undefined,
  chain: readonly X509Certificate[],
): string | undefined {
  if (!caBundle) return 'no caBundle: the API server cannot verify the webhook'
  let roots: X509Certificate[]
  try {
    roots = parseBundle(Buffer.from(caBundle, 'base64').toString('utf8'))
  } catch (error) {
    return `the caBundle ${(error as Error).message}`
  }
  return reachesRoot(chain, roots)
    ? undefined
    : 'the caBundle does not hold the CA that signed the serving certificate'
}

// As a TLS client verifies: from the leaf, through the intermediates the server sends along
// (the rest of tls.crt), to a certificate the client trusts.
function reachesRoot(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
): boolean {
  let current = chain[0]
  for (let step = 0; current && step < chain.length; step++) {
    const issued = (issuer: X509Certificate) => current !== undefined && isIssuedBy(current, issuer)
    if (roots.some(issued)) return true
    current = chain.slice(1).find(issued)
  }
  return false
}

function validity(serving: X509Certificate, names: InstallNames, now: Date): CheckResult {
  const check = 'certificate'
  const host = serviceHost(names)
  const from = serving.validFromDate
  const to = serving.validToDate
  const renewAt = renewsFrom(serving, DEFAULT_POLICY)
  const day = (date: Date) => date.toISOString().slice(0, 10)
  if (to <= now) return failed(check, `the serving certificate expired on ${day(to)}`, WRITERS)
  if (from > now)
    return failed(
      check,
      `the serving certificate is not valid before ${from.toISOString()}`,
      'check the clocks of the cluster and of the issuer',
    )
  if (serving.checkHost(host, GO_HOSTNAME_RULES) === undefined) {
    return failed(
      check,
      `the serving certificate does not name ${host}, the host the API server verifies`,
      `issue it for ${host} (--service and --namespace of serve, or the Certificate's dnsNames)`,
    )
  }
  const left = Math.floor((to.getTime() - now.getTime()) / DAY_MS)
  if (renewAt <= now) {
    return failed(
      check,
      `the serving certificate was due for renewal on ${day(renewAt)} (a third of its life left) and expires on ${day(to)}, in ${left} days`,
      WRITERS,
    )
  }
  return passed(
    check,
    `the serving certificate names ${host}, is valid until ${day(to)} (${left} days) and is renewed from ${day(renewAt)}`,
  )
}
