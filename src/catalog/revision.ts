// Short digests of what a sidecar is rendered from, recorded on injected Pods (patterns/revision)
// so that `sidecar-patterns status` can tell a Pod injected under today's catalog from one
// injected under an older one. A digest covers what changes the rendered containers: the catalog
// entry as compiled (its image with {{self.image}} filled in, the resources and security context
// it gets by default, its parameters' definitions and defaults), the Pod's parameter values, and
// the mode. Summaries render nothing and are left out, so editing one outdates no Pod. Keys are
// sorted first: reordering the catalog file's keys changes nothing either.
import { hash } from 'node:crypto'
import type { Mode } from '../injection/sidecar.ts'
import type { SidecarDefinition } from './format.ts'
import type { Values } from './render.ts'

// 40 bits: a digest is only ever compared with the one today's catalog gives the same Pod, where
// a chance collision is one in a trillion; short enough to read in `kubectl get -o yaml`.
const DIGEST_HEX = 10

/** The digest of a catalog entry as compiled, parameter values and mode aside. */
export function entryDigest(definition: SidecarDefinition): string {
  const { summary: _summary, params = {}, ...rest } = definition
  const definitions = Object.fromEntries(
    Object.entries(params).map(([name, { summary: _s, ...param }]) => [name, param]),
  )
  return digest({ ...rest, params: definitions })
}

/** The revision of one sidecar in one Pod: its entry's digest, the values it got, the mode. */
export function sidecarRevision(entry: string, values: Values, mode: Mode): string {
  return digest({ entry, values, mode })
}

function digest(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex').slice(0, DIGEST_HEX)
}

// JSON with every object's keys sorted and undefined members left out, as JSON.stringify does.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  const members = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
  return `{${members.join(',')}}`
}
