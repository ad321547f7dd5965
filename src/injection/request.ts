// Reads what a Pod asks of the webhook from its annotations, before any sidecar is configured.
import {
  INJECT,
  INJECTED,
  isStrayKey,
  MODE,
  paramsBySidecar,
  parseList,
  SIDECAR,
} from './annotations.ts'
import type { Catalog } from './catalog.ts'
import type { Problem } from './problems.ts'
import { type ConfiguredSidecar, MODES, type Mode } from './sidecar.ts'
import { quote } from './validators.ts'

export interface InjectionRequest {
  /** Sidecar names from `patterns/sidecar`, in the order written, without repeats. */
  requested: string[]
  /** Sidecar names from `patterns/injected`: what an earlier call already added. */
  injected: string[]
  optedOut: boolean
  /** Raw parameter values by sidecar, then by parameter. */
  params: Map<string, Map<string, string>>
  /**
   * What makes the request unreadable, which refuses the Pod whatever it asks: a list longer than
   * any catalog, a `patterns/inject` other than "true" or "false", a `patterns/mode` not known.
   */
  invalidFlags: Problem[]
  /** The Pod's `patterns/mode`, if it sets one. */
  mode: Mode | undefined
  unknownSidecars: Problem[]
  warnings: string[]
}

/** Parses the `patterns/` annotations; unknown names are problems, stray keys are warnings. */
export function readRequest(
  annotations: Readonly<Record<string, string>>,
  catalog: Catalog,
): InjectionRequest {
  const sidecars = readList(SIDECAR, annotations[SIDECAR])
  const injected = readList(INJECTED, annotations[INJECTED])
  const requested = sidecars.names
  const params = paramsBySidecar(annotations)
  const inject = readInjectFlag(annotations[INJECT]?.trim())
  const mode = readMode(annotations[MODE]?.trim())
  const warnings = [
    ...sidecars.repeated.map((name) => `${SIDECAR}: ${quote(name)} is listed more than once`),
    ...strayWarnings(annotations),
  ]
  if (inject.optedOut && requested.length > 0) {
    warnings.push(`${INJECT} is "false": ${SIDECAR} is ignored and nothing is injected`)
  }
  return {
    requested,
    injected: injected.names,
    optedOut: inject.optedOut,
    params,
    invalidFlags: [
      ...sidecars.problems,
      ...injected.problems,
      ...(inject.problem ? [inject.problem] : []),
      ...mode.problems,
    ],
    mode: mode.mode,
    unknownSidecars: unknownSidecars(requested, catalog),
    warnings,
  }
}

// A list too long to read refuses the Pod whatever else it says, patterns/inject "false"
// included: it is not a list of sidecars, and patterns/injected decides what is the app's.
function readList(annotation: string, value: string | undefined) {
  const list = parseList(value)
  if (list.ok) return { ...list, problems: [] }
  return { names: [], repeated: [], problems: [{ annotation, message: list.error }] }
}

function readInjectFlag(value: string | undefined): { optedOut: boolean; problem?: Problem } {
  if (value === undefined || value === 'true') return { optedOut: false }
  if (value === 'false') return { optedOut: true }
  const message = `${quote(value)} must be "true" or "false"`
  return { optedOut: false, problem: { annotation: INJECT, message } }
}

function readMode(value: string | undefined): { mode?: Mode; problems: Problem[] } {
  if (value === undefined) return { problems: [] }
  const mode = MODES.find((m) => m === value)
  if (mode) return { mode, problems: [] }
  const expected = MODES.map((m) => `"${m}"`).join(' or ')
  return { problems: [{ annotation: MODE, message: `${quote(value)} must be ${expected}` }] }
}

function unknownSidecars(requested: readonly string[], catalog: Catalog): Problem[] {
  const unknown = requested.filter((name) => !catalog.sidecars.has(name))
  if (unknown.length === 0) return []
  const known = [...catalog.sidecars.keys()].sort().join(', ')
  const names = unknown.map(quote).join(', ')
  const message = `unknown sidecar${unknown.length > 1 ? 's' : ''} ${names} (known: ${known})`
  return [{ annotation: SIDECAR, message }]
}

function strayWarnings(annotations: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(annotations).filter(isStrayKey)
  return keys.map((key) => `${key}: not an annotation of sidecar-patterns; ignored`)
}

/** Warnings for parameters of sidecars that the Pod will not get (`sidecars`: what it gets). */
export function strayParamWarnings(
  params: ReadonlyMap<string, ReadonlyMap<string, string>>,
  sidecars: ReadonlySet<string>,
  catalog: Catalog,
): string[] {
  return [...params.keys()]
    .filter((sidecar) => !sidecars.has(sidecar))
    .map((sidecar) =>
      catalog.sidecars.has(sidecar)
        ? `patterns/${sidecar}.*: the Pod does not get ${sidecar}; its parameters are ignored`
        : `patterns/${sidecar}.*: no sidecar is named ${quote(sidecar)}; ignored`,
    )
}

/** Sidecars configured from the Pod's parameters, and those whose parameters are invalid. */
export interface Configured {
  sidecars: ConfiguredSidecar[]
  invalid: { name: string; problems: Problem[] }[]
}

/** The catalog's sidecars that `wanted` names, in catalog order, configured as the Pod asks. */
export function configureWanted(
  catalog: Catalog,
  request: InjectionRequest,
  wanted: (name: string) => boolean,
): Configured {
  const configured: Configured = { sidecars: [], invalid: [] }
  for (const sidecar of catalog.sidecars.values()) {
    if (!wanted(sidecar.name)) continue
    const configuration = sidecar.configure(request.params.get(sidecar.name) ?? new Map())
    if (configuration.ok) configured.sidecars.push(configuration.sidecar)
    else configured.invalid.push({ name: sidecar.name, problems: configuration.problems })
  }
  return configured
}
