// Loads a catalog: the built-in sidecars, overridden or extended by an administrator's file.
// Everything wrong is reported at once, each problem with its file, line and path; a catalog
// with any problem is refused whole.

import { hash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Compile } from 'typebox/compile'
import { LineCounter, parseDocument } from 'yaml'
import { selectorProblems } from '../apiserver/label-selector.ts'
import { type Catalog, MAX_SIDECARS } from '../injection/catalog.ts'
import type { CatalogError } from './checks.ts'
import { CatalogFile, type SidecarDefinition } from './format.ts'
import {
  type CatalogParts,
  type Indexed,
  partsOf,
  sidecarErrors,
  wellFormedParts,
} from './parts.ts'
import { compileSidecar } from './sidecar.ts'

export type Loaded = { ok: true; catalog: Catalog } | { ok: false; errors: string[] }

export interface CatalogSource {
  /** A name for messages, such as the file's path. */
  name: string
  text: string
}

const BUILTIN: CatalogSource = {
  name: 'built-in catalog',
  text: readFileSync(new URL('./builtin.yaml', import.meta.url), 'utf8'),
}
const fileValidator = Compile(CatalogFile)
// A ConfigMap holds at most 1 MiB; a catalog larger than that is a mistake.
const MAX_BYTES = 1024 * 1024

/** The built-in catalog, extended by `source` when given; `selfImage` fills `{{self.image}}`. */
export function loadCatalog(source: CatalogSource | undefined, selfImage: string): Loaded {
  const builtin = parse(BUILTIN)
  if (!builtin.ok) return builtin
  const file = source ? parse(source) : { ok: true as const, parts: partsOf({}), errors: [] }
  if (!file.ok) return file
  const sidecars = merge(definitions(builtin.parts), definitions(file.parts))
  const errors = [
    ...builtin.errors,
    ...file.errors,
    ...catalogErrors(sidecars, builtin.parts, file.parts).map((e) => `${source?.name ?? ''}: ${e}`),
  ]
  if (errors.length) return { ok: false, errors }
  const compiled = sidecars.map((d) => compileSidecar(d, selfImage))
  const catalog: Catalog = {
    // Loading is a pure function of these three: they are the catalog's revision.
    revision: hash(
      'sha256',
      JSON.stringify([BUILTIN.text, source?.text ?? '', selfImage]),
      'base64url',
    ),
    mode: file.parts.mode ?? builtin.parts.mode ?? 'native',
    sidecars: new Map(compiled.map((s) => [s.name, s])),
    // A required sidecar that cannot apply is left out with a warning unless a policy says deny.
    policies: file.parts.policies.map(({ value: p }) => ({
      ...p,
      notApplicable: p.notApplicable ?? 'admit',
    })),
  }
  return { ok: true, catalog: Object.freeze(catalog) }
}

/** YAML that parsed: its well-formed parts and every problem found in it; or why it did not. */
type Parsed = { ok: true; parts: CatalogParts; errors: string[] } | { ok: false; errors: string[] }

function parse(source: CatalogSource): Parsed {
  if (Buffer.byteLength(source.text) > MAX_BYTES)
    return { ok: false, errors: [`${source.name}: larger than 1 MiB`] }
  const lineCounter = new LineCounter()
  const doc = parseDocument(source.text, { lineCounter, uniqueKeys: true, prettyErrors: true })
  if (doc.errors.length) {
    return {
      ok: false,
      errors: doc.errors.map(
        (e) => `${source.name}:${e.linePos?.[0].line ?? 0}: ${firstLine(e.message)}`,
      ),
    }
  }
  const data: unknown = doc.toJS() ?? {}
  const where = (pointer: string) => {
    const node = doc.getIn(pointer.split('/').slice(1), true) as { range?: [number] } | undefined
    const line = node?.range ? `:${lineCounter.linePos(node.range[0]).line}` : ''
    return `${source.name}${line}: ${pointer.slice(1).replaceAll('/', '.') || '(top)'}`
  }
  const located = (errors: CatalogError[]) => errors.map((e) => `${where(e.pointer)}: ${e.message}`)
  const wellFormed = fileValidator.Check(data)
  const parts = wellFormed ? partsOf(data) : wellFormedParts(data)
  const schema = wellFormed ? [] : located(schemaErrors(data))
  return { ok: true, parts, errors: [...schema, ...located(sidecarErrors(parts, data))] }
}

// The yaml package appends the position and a code frame, which the line number already gives.
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
}

// TypeBox reports an unknown key twice and every branch of a union; one line each is enough.
function schemaErrors(data: unknown): CatalogError[] {
  const seen = new Set<string>()
  const errors: CatalogError[] = []
  for (const e of fileValidator.Errors(data)) {
    if (e.keyword === 'additionalProperties' || e.schemaPath.includes('/anyOf/')) continue
    const message =
      e.keyword === 'boolean'
        ? 'unknown key'
        : e.keyword === 'anyOf'
          ? 'has the wrong type'
          : e.message
    const line = `${e.instancePath}\u0000${message}`
    if (!seen.has(line)) errors.push({ pointer: e.instancePath, message })
    seen.add(line)
  }
  return errors
}

function merge(
  builtin: readonly SidecarDefinition[],
  file: readonly SidecarDefinition[],
): SidecarDefinition[] {
  const overridden = builtin.map((b) => file.find((f) => f.name === b.name) ?? b)
  return [...overridden, ...file.filter((f) => !builtin.some((b) => b.name === f.name))]
}

const definitions = (parts: CatalogParts) => parts.sidecars.map((s) => s.value)

// Problems that involve several entries: more sidecars than a Pod's list may name, names defined
// twice, policies that name sidecars the catalog does not have, two proxies that claim one place
// in the chain. Names count from every entry that has one, well-formed or not (parts.ts).
function catalogErrors(
  sidecars: readonly SidecarDefinition[],
  builtin: CatalogParts,
  file: CatalogParts,
): string[] {
  const known = new Set([...builtin.sidecarNames, ...file.sidecarNames].map((n) => n.value))
  return [
    ...(sidecars.length > MAX_SIDECARS
      ? [
          `sidecars: ${sidecars.length} with the built-in ones; a catalog holds at most ${MAX_SIDECARS}`,
        ]
      : []),
    ...twice(file.sidecarNames).map((n) => `sidecars.${n.index}.name: ${n.value} is defined twice`),
    ...twice(file.policyNames).map((n) => `policies.${n.index}.name: ${n.value} is defined twice`),
    ...file.policies.flatMap(({ index, value }) =>
      value.required
        .filter((r) => !known.has(r))
        .map((r) => `policies.${index}.required: no sidecar is named ${r}`),
    ),
    // The API server's own rule: a selector it would refuse is no policy's.
    ...file.policies.flatMap(({ index, value }) =>
      selectorProblems(value.namespaceSelector).map(
        ([i, problem]) =>
          `policies.${index}.namespaceSelector.matchExpressions.${i}: ${problem}, as the API server requires`,
      ),
    ),
    ...proxyOrderClashes(sidecars),
  ]
}

/** The names that an earlier entry already has. */
function twice(names: readonly Indexed<string>[]): Indexed<string>[] {
  return names.filter((n, i) => names.findIndex((m) => m.value === n.value) !== i)
}

function proxyOrderClashes(sidecars: readonly SidecarDefinition[]): string[] {
  const proxies = sidecars.filter((s) => s.proxy)
  return proxies.flatMap((p, i) => {
    const first = proxies.find((q) => q.proxy?.order === p.proxy?.order)
    return first && first !== p && proxies.indexOf(first) < i
      ? [`sidecars ${first.name} and ${p.name} have the same proxy order ${p.proxy?.order}`]
      : []
  })
}
