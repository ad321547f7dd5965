// `sidecar-patterns check`: every check, in the order an operator would fix them (reach the API,
// a recent enough cluster, the webhook registered and running, its TLS, its catalog).
import { checkCatalog } from './check-catalog.ts'
import { checkCertificates } from './check-certificates.ts'
import { checkCluster } from './check-cluster.ts'
import { checkPolicy } from './check-policy.ts'
import { checkWebhook } from './check-webhook.ts'
import type { InstallFacts } from './facts.ts'
import type { InstallNames } from './names.ts'
import type { CheckResult } from './result.ts'

export type { CheckResult } from './result.ts'

/** What is wrong with the installation `facts` describe, at `now`; one result per check. */
export function runChecks(
  facts: InstallFacts,
  names: InstallNames,
  options: { now: Date; cliImage: string },
): CheckResult[] {
  const catalog = checkCatalog(facts, names, options.cliImage)
  const cluster = checkCluster(facts, catalog.catalog?.mode ?? 'native')
  // Without an answering API server every other check would repeat why.
  if (cluster.some((result) => result.check === 'api' && !result.ok)) return cluster
  return [
    ...cluster,
    ...checkWebhook(facts, names),
    ...checkCertificates(facts, names, options.now),
    checkPolicy(facts.admissionPolicy, facts.admissionPolicyBinding, names),
    catalog.result,
  ]
}
