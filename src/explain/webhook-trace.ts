// Which entries of our MutatingWebhookConfiguration the API server would send a Pod's CREATE to,
// and why, step by step: the verdict is shouldCall's (src/apiserver/webhooks.ts, the API server's
// ShouldCallHook restated), and the steps are the same predicates it runs, each reported.
import { type Attributes, podCreate, type UserInfo } from '../apiserver/attributes.ts'
import type { Labels } from '../apiserver/label-selector.ts'
import type { ConditionResult } from '../apiserver/match-conditions.ts'
import { ruleMatches } from '../apiserver/rules.ts'
import {
  type FailurePolicy,
  namespaceMatch,
  objectMatch,
  type Selection,
  shouldCall,
  type Webhook,
} from '../apiserver/webhooks.ts'

/** One entry of the configuration, and what the API server would do with it for the Pod. */
export interface WebhookTrace {
  name: string
  configuration: string
  failurePolicy: FailurePolicy
  /** Whether the API server would call it for the Pod. */
  called: boolean
  /** Why it is called or not, in words. */
  because: string
  /** Each step of ShouldCallHook, in its order; a step after a failed one is not run. */
  namespaceSelector: boolean | 'namespace-not-found'
  objectSelector: boolean | undefined
  rules: boolean | undefined
  matchConditions: ConditionResult[] | undefined
}

/** The facts the API server has at the Pod's CREATE besides the Pod itself. */
export interface CreateContext {
  namespace: string
  /** The namespace's labels, or null when it does not exist. */
  namespaceLabels: Labels | null
  /** Who creates the Pod: a workload's controller, for a Pod template. */
  userInfo: UserInfo
}

/** Traces every entry of `webhooks`, in the order the API server calls them. */
export function traceWebhooks(
  webhooks: readonly Webhook[],
  pod: unknown,
  context: CreateContext,
): WebhookTrace[] {
  const attr = podCreate(context.namespace, pod, { userInfo: context.userInfo })
  return webhooks.map((webhook) => trace(webhook, attr, context.namespaceLabels))
}

function trace(webhook: Webhook, attr: Attributes, labels: Labels | null): WebhookTrace {
  const lookup = () => labels
  const { name, configuration, failurePolicy } = webhook
  const selection = shouldCall(webhook, attr, lookup, { count: 0 })
  const namespace = namespaceMatch(webhook, attr, lookup)
  const namespaceSelector = typeof namespace === 'boolean' ? namespace : 'namespace-not-found'
  const object = namespace === false ? undefined : objectMatch(webhook.objectSelector, attr)
  const rules = object ? webhook.rules.some((rule) => ruleMatches(rule, attr)) : undefined
  const conditions = rules && namespace === true ? webhook.conditions(attr) : undefined
  return {
    name,
    configuration,
    failurePolicy,
    called: selection.call,
    because: because(selection, attr, conditions),
    namespaceSelector,
    objectSelector: object,
    rules,
    matchConditions: conditions,
  }
}

function because(
  selection: Selection,
  attr: Attributes,
  conditions: readonly ConditionResult[] | undefined,
): string {
  if (selection.call) {
    const held = conditions?.length ? `; matchConditions ${conditionList(conditions)}` : ''
    return `its selectors and rules select the Pod's CREATE${held}`
  }
  switch (selection.why) {
    case 'namespace':
      return `its namespaceSelector does not select namespace ${attr.namespace}`
    case 'object':
      return "its objectSelector does not select the Pod's labels"
    case 'rules':
      return 'none of its rules matches a Pod CREATE'
    case 'condition':
      return `matchConditions ${conditionList(conditions ?? [])}`
    case 'condition-error':
      return `matchConditions fail to evaluate (${conditionList(conditions ?? [])}); failurePolicy Ignore skips the webhook`
    case 'rejected':
      return `the API server refuses the Pod: ${selection.status.message}`
  }
}

function conditionList(conditions: readonly ConditionResult[]): string {
  return conditions
    .map((c) => ('error' in c ? `${c.name}: error: ${c.error}` : `${c.name}: ${c.value}`))
    .join(', ')
}
