// One admission review, start to finish: filter what is not ours, run the Pod through injection
// (src/injection/inject-pod.ts, shared with the inject command), answer with what it decided.

import type { Catalog } from '../injection/catalog.ts'
import type { SkipReason } from '../injection/decide.ts'
import { injectPod } from '../injection/inject-pod.ts'
import { describePod } from '../injection/pod.ts'
import { describeProblems } from '../injection/problems.ts'
import type { NamespaceFacts } from '../injection/scope.ts'
import { DNS_LABEL } from '../kube/names.ts'
import { quote, withoutValues } from '../shared/quote.ts'
import { allowed, denied, patched } from './review.ts'
import type { AdmissionRequest, AdmissionResponse } from './types.ts'

/** What admission needs besides the request: the catalog in force and the Pod's namespace. */
export interface AdmissionContext {
  catalog: Catalog
  namespace: NamespaceFacts | undefined
}

/** Sidecars a default or a policy asked for that cannot apply to the Pod; absent when none. */
type LeftOut = { notApplicable?: string[] }

export type Outcome =
  | { result: 'ignored'; reason: 'not-a-pod' | 'not-create' | 'subresource' }
  | ({ result: 'skipped'; reason: SkipReason; pod: string } & LeftOut)
  | {
      result: 'denied'
      reason: 'invalid-namespace' | 'invalid-pod' | 'invalid-annotations'
      pod?: string
      /** What the API server shows the Pod's author, without the values quoted in it (logs
       *  carry no annotation values: a repository URL refused for its credentials, say). */
      message: string
    }
  | ({
      result: 'injected'
      sidecars: string[]
      /** The digest of each one's catalog entry (src/catalog/revision.ts), for metrics. */
      entries: string[]
      pod: string
      /**
       * App containers given the app mounts of sidecars injected earlier (one another webhook
       * added since, say); only when there are some, so that an ordinary line stays as it was.
       */
      completed?: string[]
    } & LeftOut)

/** Answers one request, and says what happened for logs and metrics. */
export function admit(
  request: AdmissionRequest,
  context: AdmissionContext,
): { response: AdmissionResponse; outcome: Outcome } {
  const { uid } = request
  const ignored = ignoreReason(request)
  if (ignored) return { response: allowed(uid), outcome: { result: 'ignored', reason: ignored } }
  const invalid = invalidNamespace(request)
  if (invalid) {
    const status = { code: 400, reason: 'BadRequest', message: invalid }
    return refused(denied(uid, status), { reason: 'invalid-namespace' })
  }

  const injection = injectPod(request.object, context.catalog, context.namespace)
  if (!injection.ok) {
    const message = `request.object is not a Pod: ${injection.error}`
    const status = { code: 400, reason: 'BadRequest', message }
    return refused(denied(uid, status), { reason: 'invalid-pod' })
  }
  const { pod, decision } = injection
  // A Pod created with generateName, or from a namespaced request body, may carry no namespace.
  const name = describePod(pod, pod.metadata?.namespace || request.namespace || '')
  // Only when there are some, so that the log line of an ordinary review stays as it was.
  const leftOut: LeftOut =
    'notApplicable' in decision && decision.notApplicable.length
      ? { notApplicable: decision.notApplicable }
      : {}
  switch (decision.action) {
    case 'skip':
      return {
        response: allowed(uid, decision.warnings),
        outcome: { result: 'skipped', reason: decision.reason, pod: name, ...leftOut },
      }
    case 'deny': {
      const message = describeProblems(decision.problems)
      const status = { code: 422, reason: 'Invalid', message }
      return refused(denied(uid, status, decision.warnings), {
        reason: 'invalid-annotations',
        pod: name,
      })
    }
    case 'inject': {
      const sidecars = decision.plan.sidecars.map((s) => s.name)
      const entries = sidecars.map((s) => context.catalog.sidecars.get(s)?.digest ?? '')
      const completed = [...new Set(decision.plan.completions.map((c) => c.container))]
      return {
        response: patched(uid, decision.operations, decision.warnings),
        outcome: {
          result: 'injected',
          sidecars,
          entries,
          pod: name,
          ...(completed.length && { completed }),
          ...leftOut,
        },
      }
    }
  }
}

// The outcome of a denial carries the message the API server shows, for the review's log line.
function refused(
  response: AdmissionResponse,
  outcome: Omit<Extract<Outcome, { result: 'denied' }>, 'result' | 'message'>,
): { response: AdmissionResponse; outcome: Outcome } {
  const message = withoutValues(response.status?.message ?? '')
  return { response, outcome: { result: 'denied', ...outcome, message } }
}

/**
 * The namespace whose labels and annotations a review needs, or undefined if it needs none or
 * names one that cannot exist (admit refuses that review).
 */
export function namespaceToRead(request: AdmissionRequest): string | undefined {
  return ignoreReason(request) || invalidNamespace(request) ? undefined : request.namespace
}

// The API server sends a Pod's review with the namespace it is created in, a DNS-1123 label, or
// '' for an object sent without one (the Pod then says, or nothing applies). Any other name was
// not written by the API server, and must reach neither a lookup nor a decision.
function invalidNamespace({ namespace }: AdmissionRequest): string | undefined {
  if (namespace === undefined || namespace === '' || DNS_LABEL.test(namespace)) return undefined
  return `request.namespace ${quote(namespace)} is not a namespace name (a DNS-1123 label of at most 63 characters)`
}

function ignoreReason(
  request: AdmissionRequest,
): 'not-a-pod' | 'not-create' | 'subresource' | undefined {
  const { group, kind } = request.kind
  if (group !== '' || kind !== 'Pod') return 'not-a-pod'
  if (request.subResource) return 'subresource'
  if (request.operation !== 'CREATE') return 'not-create'
  return undefined
}
