// A ValidatingAdmissionPolicy with its binding, evaluated for one request as the API server does
// (k8s.io/apiserver pkg/admission/plugin/policy/validating: plugin.go, dispatcher.go,
// validator.go), with a real CEL implementation (@bufbuild/cel, as match-conditions.ts):
// - matchConstraints.resourceRules select the request as a webhook rule does (rules.ts), and a
//   rule's resourceNames, when set, must list the request's name (policy/matching/matching.go).
//   namespaceSelector, objectSelector, excludeResourceRules and the binding's matchResources are
//   not modelled: a policy that sets them throws here rather than being half evaluated.
// - matchConditions run in order: the first that is false skips the policy; otherwise an error
//   goes to the failure policy.
// - variables are composited in order (each may read those before it, as variables.NAME). The
//   server evaluates them lazily, so an error fails only the expressions that read it; here they
//   are evaluated eagerly, and an error in one goes to the failure policy.
// - validations: each must be true, else its message denies the request (validationActions
//   Deny); an error goes to the failure policy (Fail denies, Ignore admits).
// Bound: object and oldObject (unstructured, as toCel makes them), request (no uid, object or
// oldObject), params null (no paramKind), namespaceObject null (our resources here are
// cluster-scoped) and variables; the authorizer is not modelled (reading it is an error here).
import { isCelError, parse, plan } from '@bufbuild/cel'
import { type Attributes, admissionRequest, type Json } from '../../../src/apiserver/attributes.ts'
import { CEL_ENV, toCel } from '../../../src/apiserver/match-conditions.ts'
import { type Rule, ruleMatches } from '../../../src/apiserver/rules.ts'

export type PolicyDecision =
  | { decision: 'not-matched'; why: string }
  | { decision: 'admitted' }
  | { decision: 'denied'; messages: string[] }

interface Expression {
  name?: string
  expression: string
  message?: string
}

type Program = Expression & { run: ReturnType<typeof plan> }
type Bindings = Record<string, unknown>

// An expression that errors: the failure policy decides, with these messages.
class PolicyError extends Error {
  readonly messages: string[]
  constructor(messages: string[]) {
    super(messages.join('; '))
    this.messages = messages
  }
}

/** Compiles `policy` and its `binding` once; the result decides one request. */
export function compilePolicy(policy: Json, binding: Json): (attr: Attributes) => PolicyDecision {
  const spec = policy.spec
  for (const unsupported of ['namespaceSelector', 'objectSelector', 'excludeResourceRules'])
    if (spec.matchConstraints?.[unsupported] !== undefined)
      throw new Error(`matchConstraints.${unsupported} is not modelled`)
  if (binding.spec.matchResources !== undefined || spec.paramKind !== undefined)
    throw new Error('matchResources and params are not modelled')
  if (binding.spec.policyName !== policy.metadata.name)
    throw new Error(`binding ${binding.metadata.name} is for ${binding.spec.policyName}`)
  const compile = (e: Expression): Program => ({ ...e, run: plan(CEL_ENV, parse(e.expression)) })
  const conditions: Program[] = (spec.matchConditions ?? []).map(compile)
  const variables: Program[] = (spec.variables ?? []).map(compile)
  const validations: Program[] = (spec.validations ?? []).map(compile)
  const rules: NamedRule[] = spec.matchConstraints.resourceRules
  const failClosed = (spec.failurePolicy ?? 'Fail') === 'Fail'
  const decide = (bindings: Bindings): PolicyDecision => {
    const unmet = firstUnmet(conditions, bindings)
    if (unmet !== undefined) return { decision: 'not-matched', why: unmet }
    bindings.variables = composite(variables, bindings)
    const messages = failedMessages(validations, bindings)
    return messages.length ? { decision: 'denied', messages } : { decision: 'admitted' }
  }
  return (attr) => {
    if (!rules.some((rule) => namedRuleMatches(rule, attr)))
      return { decision: 'not-matched', why: 'matchConstraints' }
    try {
      return decide(bindingsOf(attr))
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error
      return failClosed
        ? { decision: 'denied', messages: error.messages }
        : { decision: 'admitted' }
    }
  }
}

function bindingsOf(attr: Attributes): Bindings {
  return {
    object: toCel(attr.object),
    oldObject: toCel(attr.oldObject),
    request: toCel(admissionRequest(attr)),
    params: null,
    namespaceObject: null,
  }
}

type NamedRule = Rule & { resourceNames?: string[] }

function namedRuleMatches(rule: NamedRule, attr: Attributes): boolean {
  const named = !rule.resourceNames?.length || rule.resourceNames.includes(attr.name)
  return named && ruleMatches(rule, attr)
}

// The name of the first condition that is false; an error, if none is, throws.
function firstUnmet(conditions: readonly Program[], bindings: Bindings): string | undefined {
  const errors: string[] = []
  for (const condition of conditions) {
    const value = condition.run(bindings as never)
    if (value === false) return condition.name ?? ''
    if (value !== true) errors.push(`${condition.name}: ${describe(value)}`)
  }
  if (errors.length) throw new PolicyError(errors)
  return undefined
}

function composite(variables: readonly Program[], bindings: Bindings): Map<string, unknown> {
  const composited = new Map<string, unknown>()
  for (const variable of variables) {
    const value = variable.run({ ...bindings, variables: composited } as never)
    if (isCelError(value)) throw new PolicyError([`variables.${variable.name}: ${value.message}`])
    composited.set(variable.name ?? '', value)
  }
  return composited
}

function failedMessages(validations: readonly Program[], bindings: Bindings): string[] {
  const messages: string[] = []
  for (const validation of validations) {
    const value = validation.run(bindings as never)
    if (value === false) messages.push(validation.message ?? `failed: ${validation.expression}`)
    else if (value !== true) throw new PolicyError([`${validation.expression}: ${describe(value)}`])
  }
  return messages
}

function describe(value: unknown): string {
  return isCelError(value) ? value.message : 'evaluated to a non-boolean'
}
