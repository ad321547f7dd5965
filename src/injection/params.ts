// Reads `patterns/<sidecar>.<param>` annotations into a template's typed values.
import { paramAnnotation } from './annotations.ts'
import type { Problem } from './problems.ts'
import type { ParamSpec, ParamSpecs } from './sidecar.ts'
import { quote } from './validators.ts'

/**
 * The longest value any parameter takes, checked before its validator reads it, so that no type
 * has to bound its own: room for the longest routes list the meter takes (MAX_ROUTES_LENGTH).
 */
export const MAX_VALUE_LENGTH = 4096

/** Validated values by parameter name; an optional parameter left unset is undefined. */
export type Resolution =
  | { ok: true; values: Record<string, unknown> }
  | { ok: false; problems: Problem[] }

/** Validates every parameter of one sidecar from its raw annotation values; all problems at once. */
export function resolveParams(
  sidecar: string,
  specs: ParamSpecs,
  raw: ReadonlyMap<string, string>,
): Resolution {
  const problems: Problem[] = unknownParams(sidecar, specs, raw)
  const values: Record<string, unknown> = {}
  for (const [param, spec] of Object.entries(specs)) {
    const annotation = paramAnnotation(sidecar, param)
    const result = resolveOne(spec, raw.get(param))
    if (result.ok) values[param] = result.value
    else problems.push({ annotation, message: result.error })
  }
  return problems.length ? { ok: false, problems } : { ok: true, values }
}

function resolveOne(
  spec: ParamSpec<unknown>,
  raw: string | undefined,
): { ok: true; value: unknown } | { ok: false; error: string } {
  if (raw !== undefined) {
    const value = raw.trim()
    return value.length > MAX_VALUE_LENGTH
      ? { ok: false, error: `${quote(value)} is longer than ${MAX_VALUE_LENGTH} characters` }
      : spec.validate(value)
  }
  switch (spec.presence) {
    case 'required':
      return { ok: false, error: 'is required and missing' }
    case 'optional':
      return { ok: true, value: undefined }
    case 'defaulted':
      return spec.validate(spec.default)
  }
}

function unknownParams(sidecar: string, specs: ParamSpecs, raw: ReadonlyMap<string, string>) {
  const known = Object.keys(specs)
  return [...raw.keys()]
    .filter((param) => !Object.hasOwn(specs, param))
    .map((param) => ({
      annotation: paramAnnotation(sidecar, param),
      message: `unknown parameter of ${sidecar} (known: ${known.join(', ')})`,
    }))
}
