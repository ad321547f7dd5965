// MutatingWebhookConfigurations as the API server holds and orders them, and the decision whether
// one webhook sees a request (k8s.io/apiserver pkg/admission/plugin/webhook/generic/webhook.go
// ShouldCallHook): namespaceSelector, then objectSelector, then rules, then matchConditions.
import type { Status } from '../admission/types.ts'
import type { Attributes, Json } from './attributes.ts'
import { type LabelSelector, type Labels, selects } from './label-selector.ts'
import {
  type ConditionResult,
  combine,
  compileConditions,
  type MatchCondition,
  type MatchResult,
} from './match-conditions.ts'
import { type Rule, ruleMatches } from './rules.ts'

export type FailurePolicy = 'Fail' | 'Ignore'

/** One entry of a configuration, with the API server's defaults filled in. */
export interface Webhook {
  /** Unique across configurations (accessors.go: configuration name, webhook name, index). */
  uid: string
  configuration: string
  name: string
  clientConfig: Json
  rules: Rule[]
  failurePolicy: FailurePolicy
  namespaceSelector: LabelSelector
  objectSelector: LabelSelector
  sideEffects: string
  timeoutSeconds: number
  reinvocationPolicy: 'Never' | 'IfNeeded'
  matchConditions: MatchCondition[]
  /** Each condition's result for a request, in order. */
  conditions: (attr: Attributes) => ConditionResult[]
  match: (attr: Attributes) => MatchResult
}

/**
 * The webhooks of `configurations` in the order the API server calls them: configurations by
 * name (pkg/admission/configuration/mutating_webhook_manager.go sorts them ByName), then each
 * one's entries in order. Defaults are those of kubernetes pkg/apis/admissionregistration/v1/
 * defaults.go (SetDefaults_MutatingWebhook, SetDefaults_Rule).
 */
export function loadWebhooks(configurations: readonly Json[]): Webhook[] {
  const sorted = [...configurations].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  )
  return sorted.flatMap((configuration) =>
    (configuration.webhooks ?? []).map((w: Json, index: number): Webhook => {
      if (w.sideEffects === undefined) throw new Error(`${w.name}: sideEffects is required in v1`)
      const matchConditions: MatchCondition[] = w.matchConditions ?? []
      const conditions = compileConditions(matchConditions)
      return {
        uid: `${configuration.metadata.name}/${w.name}/${index}`,
        configuration: configuration.metadata.name,
        name: w.name,
        clientConfig: w.clientConfig,
        rules: w.rules ?? [],
        failurePolicy: w.failurePolicy ?? 'Fail',
        namespaceSelector: w.namespaceSelector ?? {},
        objectSelector: w.objectSelector ?? {},
        sideEffects: w.sideEffects,
        timeoutSeconds: w.timeoutSeconds ?? 10,
        reinvocationPolicy: w.reinvocationPolicy ?? 'Never',
        matchConditions,
        conditions,
        match: (attr) => combine(conditions(attr)),
      }
    }),
  )
}

export type Selection =
  | { call: false; why: 'namespace' | 'object' | 'rules' | 'condition' | 'condition-error' }
  | { call: true }
  /** A rejection before any call: an error the failure policy does not soften. */
  | { call: false; why: 'rejected'; status: Status }

/**
 * Whether `webhook` is called for `attr`, given the labels of the request's namespace
 * (`undefined`: the namespace does not exist). Counts condition errors in `errors`, as the API
 * server's apiserver_admission_match_condition_evaluation_errors_total does.
 */
export function shouldCall(
  webhook: Webhook,
  attr: Attributes,
  namespaceLabels: (name: string) => Labels | null,
  errors: { count: number },
): Selection {
  const namespace = namespaceMatch(webhook, attr, namespaceLabels)
  if (namespace === false) return { call: false, why: 'namespace' }
  if (!objectMatch(webhook.objectSelector, attr)) return { call: false, why: 'object' }
  if (!webhook.rules.some((rule) => ruleMatches(rule, attr))) return { call: false, why: 'rules' }
  if (namespace !== true) return { call: false, why: 'rejected', status: namespace }
  if (webhook.matchConditions.length === 0) return { call: true }
  const result = webhook.match(attr)
  if (result.matches) return { call: true }
  if ('failedCondition' in result) return { call: false, why: 'condition' }
  errors.count += result.errors.length
  // webhook.go: a condition error with failurePolicy Fail is a 403 Forbidden for the request.
  if (webhook.failurePolicy === 'Ignore') return { call: false, why: 'condition-error' }
  const message = `${attr.resource.resource} "${attr.name}" is forbidden: ${result.errors.join(', ')}`
  return { call: false, why: 'rejected', status: { code: 403, reason: 'Forbidden', message } }
}

/**
 * Whether the namespaceSelector selects the request's namespace, or the 404 of one that does not
 * exist: predicates/namespace/matcher.go MatchNamespaceSelector. Cluster-scoped objects (other
 * than namespaces) always match; an empty selector matches without a lookup; a missing namespace
 * is a 404 (returned only once the rules match, as ShouldCallHook orders it).
 */
export function namespaceMatch(
  webhook: Webhook,
  attr: Attributes,
  namespaceLabels: (name: string) => Labels | null,
): boolean | Status {
  if (attr.namespace === '' && attr.resource.resource !== 'namespaces') return true
  const selector = webhook.namespaceSelector
  if (!selector.matchLabels && !selector.matchExpressions?.length) return true
  const labels = namespaceLabels(attr.namespace)
  if (labels === null) {
    const message = `namespaces "${attr.namespace}" not found`
    return { code: 404, reason: 'NotFound', message }
  }
  return selects(selector, labels)
}

/** Whether the objectSelector selects the object's labels or the old object's (predicates/object/matcher.go MatchObjectSelector). */
export function objectMatch(selector: LabelSelector, attr: Attributes): boolean {
  if (!selector.matchLabels && !selector.matchExpressions?.length) return true
  const labelsOf = (o: Json) => (o ? (o.metadata?.labels ?? {}) : undefined)
  return (
    (attr.object !== null && selects(selector, labelsOf(attr.object))) ||
    (attr.oldObject !== null && selects(selector, labelsOf(attr.oldObject)))
  )
}
