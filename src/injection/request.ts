// Reads what a Pod asks of the webhook from its annotations, before any sidecar is configured.
import { INJECT, INJECTED, isStrayKey, paramsBySidecar, parseList, SIDECAR } from './annotations.ts'
import type { Problem } from './problems.ts'
import type { Catalog } from './sidecars/index.ts'
import { quote } from './validators.ts'

export interface InjectionRequest {
  /** Sidecar names from `patterns/sidecar`, in the order written, without repeats. */
  requested: string[]
  /** Sidecar names from `patterns/injected`: what an earlier call already added. */
  injected: string[]
  optedOut: boolean
  /** Raw parameter values by sidecar, then by parameter. */
  params: Map<string, Map<string, string>>
  /** A `patterns/inject` value other than "true" or "false". */
  invalidFlag: Problem | undefined
  unknownSidecars: Problem[]
  warnings: string[]
}

/** Parses the `patterns/` annotations; unknown names are problems, stray keys are warnings. */
export function readRequest(
  annotations: Readonly<Record<string, string>>,
  catalog: Catalog,
): InjectionRequest {
  const { names: requested, repeated } = parseList(annotations[SIDECAR])
  const params = paramsBySidecar(annotations)
  const inject = readInjectFlag(annotations[INJECT]?.trim())
  const warnings = [
    ...repeated.map((name) => `${SIDECAR}: ${quote(name)} is listed more than once`),
    ...strayWarnings(annotations, requested, params, catalog),
  ]
  if (inject.optedOut && requested.length > 0) {
    warnings.push(`${INJECT} is "false": ${SIDECAR} is ignored and nothing is injected`)
  }
  const { names: injected } = parseList(annotations[INJECTED])
  return {
    requested,
    injected,
    optedOut: inject.optedOut,
    params,
    invalidFlag: inject.problem,
    unknownSidecars: unknownSidecars(requested, catalog),
    warnings,
  }
}

function readInjectFlag(value: string | undefined): { optedOut: boolean; problem?: Problem } {
  if (value === undefined || value === 'true') return { optedOut: false }
  if (value === 'false') return { optedOut: true }
  const message = `${quote(value)} must be "true" or "false"`
  return { optedOut: false, problem: { annotation: INJECT, message } }
}

function unknownSidecars(requested: readonly string[], catalog: Catalog): Problem[] {
  const unknown = requested.filter((name) => !catalog.has(name))
  if (unknown.length === 0) return []
  const known = [...catalog.keys()].sort().join(', ')
  const names = unknown.map(quote).join(', ')
  const message = `unknown sidecar${unknown.length > 1 ? 's' : ''} ${names} (known: ${known})`
  return [{ annotation: SIDECAR, message }]
}

function strayWarnings(
  annotations: Readonly<Record<string, string>>,
  requested: readonly string[],
  params: ReadonlyMap<string, ReadonlyMap<string, string>>,
  catalog: Catalog,
): string[] {
  const keys = Object.keys(annotations).filter(isStrayKey)
  const strayKeys = keys.map((key) => `${key}: not an annotation of sidecar-patterns; ignored`)
  const strayParams = [...params.keys()]
    .filter((sidecar) => !requested.includes(sidecar))
    .map((sidecar) =>
      catalog.has(sidecar)
        ? `patterns/${sidecar}.*: ${sidecar} is not in ${SIDECAR}; its parameters are ignored`
        : `patterns/${sidecar}.*: no sidecar is named ${quote(sidecar)}; ignored`,
    )
  return [...strayKeys, ...strayParams]
}
