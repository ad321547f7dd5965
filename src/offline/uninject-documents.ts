// `sidecar-patterns uninject`: the inverse of `inject` on YAML files. What injection added is
// spliced out of the text as written, so `inject` then `uninject` gives back the original bytes.
import { INJECTED } from '../injection/annotations.ts'
import type { Catalog } from '../injection/catalog.ts'
import {
  change,
  documentsOf,
  finish,
  type Located,
  type Message,
  type Outcome,
  parseSource,
  type Source,
  templatesOf,
  type Where,
} from './files.ts'
import { type TemplateSite, valueAt } from './templates.ts'
import { uninjectPod } from './uninject-pod.ts'
import { rebased } from './yaml-change.ts'

/** Removes what injection added from every Pod template of `sources`. */
export function uninjectSources(sources: readonly Source[], catalog: Catalog): Outcome {
  const parsed = sources.map(parseSource)
  const messages = parsed.flatMap((p) => p.messages)
  for (const doc of documentsOf(parsed.flatMap((p) => (p.file ? [p.file] : [])))) {
    for (const { site, where } of templatesOf(doc))
      messages.push(...uninjectSite(doc, site, where, catalog))
  }
  return finish(sources, parsed, messages)
}

function uninjectSite(doc: Located, site: TemplateSite, where: Where, catalog: Catalog): Message[] {
  const result = uninjectPod(valueAt(doc.object, site.path), catalog)
  if (result.action === 'skip')
    return [{ level: 'info', where, text: `unchanged (${result.reason})` }]
  if (result.action === 'refuse')
    return [{ level: 'error', where, text: `${result.reason}; left as it is` }]
  // A claim the Pod does not bear out is an error: the sidecar may be there, as an older
  // catalog rendered it, and stays; the user is to know and give that catalog.
  const messages: Message[] = result.unproven.map(({ sidecar, why }) => ({
    level: 'error',
    where,
    text: `${INJECTED} lists ${sidecar}, but the Pod does not hold it as the catalog renders it (${why}); ${sidecar} is left in place`,
  }))
  if (result.removed.length === 0) return messages
  const changes = result.changes.map((c) => rebased(c, site.path))
  const failed = change(doc, changes)
  const text = failed
    ? `cannot remove the sidecars in place: ${failed}; left as it is`
    : `removed ${result.removed.join(', ')}`
  return [...messages, { level: failed ? 'error' : 'info', where, text }]
}
