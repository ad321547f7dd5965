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
// How results combine (matcher.go Match): conditions run in order; the first that is false skips
// the webhook; otherwise any error is handed to the failure policy; otherwise it is called.
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

/** Compiles `conditions` once; the result evaluates them for one request. */
export function compileMatchConditions(
  conditions: readonly MatchCondition[],
): (attr: Attributes) => MatchResult {
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
    return combine(programs, bindings)
  }
}

type Program = { name: string; run: ReturnType<typeof plan> }

function combine(programs: readonly Program[], bindings: Record<string, unknown>): MatchResult {
  const errors: string[] = []
  for (const { name, run } of programs) {
    const value = run(bindings as never)
    if (isCelError(value)) errors.push(`${name}: ${value.message}`)
    else if (value === false) return { matches: false, failedCondition: name }
    else if (value !== true) errors.push(`${name}: evaluated to a non-boolean`)
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
