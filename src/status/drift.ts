// Which injected sidecars were rendered from another revision than the one today's catalog
// renders for the same Pod: patterns/revision against src/catalog/revision.ts, for the same
// parameters and mode. Read by `status` (outdated Pods) and `explain` (a live Pod's sidecars).
import type { Catalog } from '../injection/catalog.ts'
import type { InjectionRequest } from '../injection/request.ts'
import { readRevisions } from '../injection/revisions.ts'
import type { Mode } from '../injection/sidecar.ts'

/** A sidecar injected from another revision than today's catalog gives this Pod. */
export interface Outdated {
  sidecar: string
  /** What patterns/revision records; undefined when it records nothing for the sidecar. */
  recorded: string | undefined
  /** Today's revision, or why there is none (the catalog dropped the sidecar, ...). */
  today: string | { none: string }
}

/** The injected sidecars whose recorded revision is not today's. */
export function outdatedSidecars(
  annotations: Readonly<Record<string, string>>,
  request: InjectionRequest,
  catalog: Catalog,
): Outdated[] {
  const recorded = readRevisions(annotations)
  const mode = request.mode ?? catalog.mode
  const outdated: Outdated[] = []
  for (const name of request.injected) {
    const today = revisionToday(name, request.params.get(name), catalog, mode)
    const was = recorded.get(name)
    if (typeof today === 'string' && today === was) continue
    outdated.push({ sidecar: name, recorded: was, today })
  }
  return outdated
}

function revisionToday(
  name: string,
  params: ReadonlyMap<string, string> | undefined,
  catalog: Catalog,
  mode: Mode,
): string | { none: string } {
  const sidecar = catalog.sidecars.get(name)
  if (!sidecar) return { none: 'not in the catalog' }
  const configured = sidecar.configure(params ?? new Map())
  if (!configured.ok) return { none: 'its parameters are invalid today' }
  return configured.sidecar.revision(mode)
}
