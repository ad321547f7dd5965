// A catalog file taken apart into the entries that are well-formed, each with its index in the
// file, so that a file failing its schema still has its other entries checked and every problem
// is reported at once (README, "Validation"): the well-formed sidecars and policies, and of a
// malformed sidecar its well-formed parameters. A malformed part is reported by the schema and
// checked no further, since the checks read its fields as typed. Names are kept from every entry
// that has one, so that a policy naming a malformed sidecar is not also told it does not exist.
import { Compile } from 'typebox/compile'
import type { Mode } from '../injection/sidecar.ts'
import { type CatalogError, checkParam, checkSidecar } from './checks.ts'
import { type CatalogFile, ParamDefinition, PolicyDefinition, SidecarDefinition } from './format.ts'

/** A value and where it stands in the file's list. */
export interface Indexed<T> {
  index: number
  value: T
}

/** The parts of a file that the checks across entries, and the catalog, are built from. */
export interface CatalogParts {
  mode: Mode | undefined
  sidecars: Indexed<SidecarDefinition>[]
  policies: Indexed<PolicyDefinition>[]
  /** The name of every sidecar entry that has one, well-formed or not. */
  sidecarNames: Indexed<string>[]
  policyNames: Indexed<string>[]
}

const sidecarValidator = Compile(SidecarDefinition)
const policyValidator = Compile(PolicyDefinition)
const paramValidator = Compile(ParamDefinition)

/** The parts of a file that passed its schema: every entry. */
export function partsOf(file: CatalogFile): CatalogParts {
  const sidecars = indexed(file.sidecars ?? [])
  const policies = indexed(file.policies ?? [])
  return {
    mode: file.mode,
    sidecars,
    policies,
    sidecarNames: sidecars.map(({ index, value }) => ({ index, value: value.name })),
    policyNames: policies.map(({ index, value }) => ({ index, value: value.name })),
  }
}

/** The well-formed parts of `data`, a file that failed its schema. */
export function wellFormedParts(data: unknown): CatalogParts {
  const file = isRecord(data) ? data : {}
  const sidecars = listAt(file, 'sidecars')
  const policies = listAt(file, 'policies')
  return {
    mode: file.mode === 'native' || file.mode === 'classic' ? file.mode : undefined,
    sidecars: sidecars.filter((e): e is Indexed<SidecarDefinition> =>
      sidecarValidator.Check(e.value),
    ),
    policies: policies.filter((e): e is Indexed<PolicyDefinition> =>
      policyValidator.Check(e.value),
    ),
    sidecarNames: namesOf(sidecars),
    policyNames: namesOf(policies),
  }
}

/** Every problem of the parts' sidecars; of a malformed sidecar in `data`, of its parameters. */
export function sidecarErrors(parts: CatalogParts, data: unknown): CatalogError[] {
  const wellFormed = new Set(parts.sidecars.map((s) => s.index))
  const malformed = listAt(isRecord(data) ? data : {}, 'sidecars').filter(
    (s) => !wellFormed.has(s.index),
  )
  return [
    ...parts.sidecars.flatMap(({ index, value }) => checkSidecar(value, `/sidecars/${index}`)),
    ...malformed.flatMap(({ index, value }) => paramErrors(value, `/sidecars/${index}`)),
  ]
}

function paramErrors(sidecar: unknown, base: string): CatalogError[] {
  const params = isRecord(sidecar) && isRecord(sidecar.params) ? sidecar.params : {}
  return Object.entries(params).flatMap(([name, param]) =>
    paramValidator.Check(param) ? checkParam(param, `${base}/params/${name}`) : [],
  )
}

function listAt(file: Record<string, unknown>, key: string): Indexed<unknown>[] {
  const list = file[key]
  return Array.isArray(list) ? indexed(list) : []
}

function namesOf(entries: readonly Indexed<unknown>[]): Indexed<string>[] {
  return entries.flatMap(({ index, value }) =>
    isRecord(value) && typeof value.name === 'string' ? [{ index, value: value.name }] : [],
  )
}

function indexed<T>(list: readonly T[]): Indexed<T>[] {
  return list.map((value, index) => ({ index, value }))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
