// A webhook's matchConditions, compiled and evaluated with a real CEL implementation
// (@bufbuild/cel) and the variables the API server binds for webhooks:
// - declared (k8s.io/apiserver pkg/admission/plugin/cel/compile.go createEnvForOpts, with
//   HasAuthorizer and without params for webhooks: plugin/webhook/accessors.go
//   GetCompiledMatcher): object, oldObject, request, namespaceObject, authorizer;
// - bound (plugin/cel/activation.go newActivation, called by plugin/webhook/matchconditions
//   matcher.go Match with a nil namespace): object and oldObject as the versioned objects (null
//   when absent, so oldObject is null on CREATE), request as CreateAdmissionRequest builds it
//   (plugin/cel/condition.go: no uid, object or oldObject), and namespaceObject always null.
//   The authorizer is not modelled: an expression that reads it fails here, loudly.
// How results combine (matcher.go Match): every condition is evaluated; in order, the first that
// is false skips the webhook; otherwise any error is handed to the failure policy; otherwise it
// is called.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel'
import { strings } from '@bufbuild/cel/ext'
import { type Attributes, admissionRequest, type Json } from './attributes.ts'

// The API server's base environment has more libraries (lists, regex, url, quantity, ...:
// k8s.io/apiserver pkg/cel/environment/base.go); our conditions and policies use none, and an
// expression that calls one fails here as an evaluation error rather than passing unchecked.
export const CEL_ENV = celEnv({ funcs: strings })

export interface MatchCondition {
  name: string
  expression: string
}

export type MatchResult =
  | { matches: true }
  | { matches: false; failedCondition: string }
  | { matches: false; errors: string[] }

/** What one condition evaluated to: true, false, or the error that stopped it. */
export type ConditionResult = { name: string } & ({ value: boolean } | { error: string })

/** Compiles `conditions` once; the result evaluates each of them for one request, in order. */
export function compileConditions(
  conditions: readonly MatchCondition[],
): (attr: Attributes) => ConditionResult[] {
  const programs = conditions.map((c) => ({
    name: c.name,
    run: plan(CEL_ENV, parse(c.expression)),
  }))
  return (attr) => {
    const bindings = {
      object: toCel(attr.object),
      oldObject: toCel(attr.oldObject),
      request: toCel({ uid: '', ...admissionRequest(attr) }),
      namespaceObject: null,
    }
    return programs.map(({ name, run }) => evaluate(name, run(bindings as never)))
  }
}

/** Compiles `conditions` once; the result says whether they let one request through. */
export function compileMatchConditions(
  conditions: readonly MatchCondition[],
): (attr: Attributes) => MatchResult {
  const evaluateAll = compileConditions(conditions)
  return (attr) => combine(evaluateAll(attr))
}

function evaluate(name: string, value: unknown): ConditionResult {
  if (isCelError(value)) return { name, error: value.message }
  if (typeof value !== 'boolean') return { name, error: 'evaluated to a non-boolean' }
  return { name, value }
}

/** How the API server combines the results (matcher.go Match). */
export function combine(results: readonly ConditionResult[]): MatchResult {
  const errors: string[] = []
  for (const result of results) {
    if ('error' in result) errors.push(`${result.name}: ${result.error}`)
    else if (!result.value) return { matches: false, failedCondition: result.name }
  }
  return errors.length ? { matches: false, errors } : { matches: true }
}

// Objects become CEL maps, and whole numbers CEL ints, as unstructured JSON does in the API
// server (int64 for integers, float64 otherwise).
export function toCel(value: Json): unknown {
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) return value.map(toCel)
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value
  if (typeof value === 'object')
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]))
  return value
}
