// Is the webhook registered, and is there something behind it. From outside the cluster the
// webhook's own port cannot be reached, so what the API server would reach is read instead:
// the Service's EndpointSlices list the Pods whose readiness probe (GET /readyz over HTTPS, from
// their node) passes, which is the webhook answering; the Deployment says whether enough of its
// replicas are available. (The API server's service proxy could call /healthz, but it needs the
// services/proxy permission and does not verify the webhook's certificate: "proxying to pods and
// services is IP-based", kubernetes pkg/controlplane/apiserver/config.go sets InsecureSkipVerify;
// so it would prove less than this.)
import type { V1EndpointSlice, V1MutatingWebhookConfiguration } from '@kubernetes/client-node'
import type { InstallFacts, Read } from './facts.ts'
import type { InstallNames } from './names.ts'
import { accessFix, type CheckResult, failed, passed } from './result.ts'

const APPLY = 'kubectl apply -k manifests/ (or your overlay)'

/** The webhook configuration, the Deployment, and the ready endpoints behind the Service. */
export function checkWebhook(facts: InstallFacts, names: InstallNames): CheckResult[] {
  return [
    registered(facts.webhookConfiguration, names),
    available(facts, names),
    endpoints(facts, names),
  ]
}

function registered(read: Read<V1MutatingWebhookConfiguration>, names: InstallNames): CheckResult {
  const check = 'webhook-configuration'
  const what = `MutatingWebhookConfiguration ${names.webhookConfiguration}`
  if ('missing' in read) return failed(check, `${what} is not registered`, APPLY)
  if ('error' in read)
    return failed(check, `${what}: ${read.error}`, accessFix('get mutatingwebhookconfigurations'))
  const webhooks = read.found.webhooks ?? []
  if (webhooks.length === 0) return failed(check, `${what} has no webhooks`, APPLY)
  const astray = webhooks.filter((w) => {
    const service = w.clientConfig.service
    return service?.name !== names.service || service.namespace !== names.namespace
  })
  if (astray.length > 0) {
    const list = astray.map((w) => w.name).join(', ')
    return failed(
      check,
      `${what}: ${list} do not call the Service ${names.namespace}/${names.service}`,
      APPLY,
    )
  }
  return passed(
    check,
    `${what} is registered with ${webhooks.length} webhooks calling ${names.namespace}/${names.service}`,
  )
}

function available(facts: InstallFacts, names: InstallNames): CheckResult {
  const check = 'deployment'
  const what = `Deployment ${names.namespace}/${names.deployment}`
  const read = facts.deployment
  if ('missing' in read) return failed(check, `${what} does not exist`, APPLY)
  if ('error' in read)
    return failed(check, `${what}: ${read.error}`, accessFix('get deployments', names.namespace))
  const { spec, status } = read.found
  const ready = status?.availableReplicas ?? 0
  const wanted = spec?.replicas ?? 1
  const condition = status?.conditions?.find((c) => c.type === 'Available')
  if (condition?.status === 'True' && ready > 0) {
    return passed(check, `${what}: ${ready} of ${wanted} replicas available`)
  }
  const why = condition?.message ? `: ${condition.message}` : ''
  return failed(
    check,
    `${what} is not available (${ready} of ${wanted} replicas)${why}`,
    `kubectl -n ${names.namespace} describe deployment ${names.deployment}; kubectl -n ${names.namespace} logs deployment/${names.deployment}`,
  )
}

function endpoints(facts: InstallFacts, names: InstallNames): CheckResult {
  const check = 'endpoints'
  const what = `Service ${names.namespace}/${names.service}`
  if ('missing' in facts.service) return failed(check, `${what} does not exist`, APPLY)
  if ('error' in facts.service)
    return failed(
      check,
      `${what}: ${facts.service.error}`,
      accessFix('get services', names.namespace),
    )
  const slices = facts.endpointSlices
  if ('error' in slices)
    return failed(
      check,
      `${what}: ${slices.error}`,
      accessFix('list endpointslices', names.namespace),
    )
  const ready = 'found' in slices ? readyAddresses(slices.found) : []
  if (ready.length === 0) {
    return failed(
      check,
      `${what} has no ready endpoints: the API server has no webhook Pod to call`,
      `kubectl -n ${names.namespace} get pods -l app.kubernetes.io/name=sidecar-patterns; a Pod is ready once GET /readyz answers 200`,
    )
  }
  return passed(check, `${what} has ${ready.length} ready endpoints (${ready.join(', ')})`)
}

// An endpoint is ready unless its condition says otherwise: "a nil value should be interpreted
// as true" (discovery.k8s.io/v1 EndpointConditions). Terminating endpoints are not ready.
function readyAddresses(slices: readonly V1EndpointSlice[]): string[] {
  return slices.flatMap((slice) =>
    (slice.endpoints ?? [])
      .filter((endpoint) => endpoint.conditions?.ready !== false)
      .flatMap((endpoint) => endpoint.addresses.slice(0, 1)),
  )
}
