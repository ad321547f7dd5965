// `sidecar-patterns uninject`: the inverse of `inject` on YAML files. What injection added is
// spliced out of the text as written, so `inject` then `uninject` gives back the original bytes;
// Services that reached a removed proxy are named, or pointed back (restore-services.ts).
import { INJECTED } from '../injection/annotations.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { Pod } from '../injection/pod.ts'
import {
  change,
  editTemplates,
  type Located,
  type Message,
  type Outcome,
  type Source,
  type Where,
} from './files.ts'
import { restoreServices, type UninjectedTemplate } from './restore-services.ts'
import { type TemplateSite, valueAt } from './templates.ts'
import { uninjectPod } from './uninject-pod.ts'
import { changedObject, rebased } from './yaml-change.ts'

export interface UninjectOptions {
  /** The namespace of objects that name none. */
  namespace: string
  /** Point Services that reached a removed proxy back at the app port it fronted. */
  retargetServices?: boolean
}

/** Removes what injection added from every Pod template of `sources`. */
export function uninjectSources(
  sources: readonly Source[],
  catalog: Catalog,
  options: UninjectOptions,
): Outcome {
  return editTemplates<UninjectedTemplate>(sources, (docs) => ({
    template: (doc, site, where) => {
      const { messages, template } = uninjectSite(doc, site, where, catalog)
      if (!template) return { messages }
      const namespace = site.namespace ?? options.namespace
      return { messages, kept: { namespace, where, ...template } }
    },
    around: (seen) =>
      restoreServices(docs, seen, {
        namespace: options.namespace,
        retarget: options.retargetServices === true,
      }),
  }))
}

interface SiteResult {
  messages: Message[]
  /** The template before and after, for the Services that select it. */
  template?: Pick<UninjectedTemplate, 'before' | 'after' | 'removed'>
}

function uninjectSite(
  doc: Located,
  site: TemplateSite,
  where: Where,
  catalog: Catalog,
): SiteResult {
  const object = valueAt(doc.object, site.path)
  const result = uninjectPod(object, catalog)
  if (result.action === 'refuse')
    return { messages: [{ level: 'error', where, text: `${result.reason}; left as it is` }] }
  const unchanged = { before: object as Pod, after: object as Pod, removed: [] }
  if (result.action === 'skip')
    return {
      messages: [{ level: 'info', where, text: `unchanged (${result.reason})` }],
      template: unchanged,
    }
  // A claim the Pod does not bear out is an error: the sidecar may be there, as an older
  // catalog rendered it, and stays; the user is to know and give that catalog.
  const messages: Message[] = result.unproven.map(({ sidecar, why }) => ({
    level: 'error',
    where,
    text: `${INJECTED} lists ${sidecar}, but the Pod does not hold it as the catalog renders it (${why}); ${sidecar} is left in place`,
  }))
  if (result.removed.length === 0) return { messages, template: unchanged }
  const changes = result.changes.map((c) => rebased(c, site.path))
  const failed = change(doc, changes)
  const text = failed
    ? `cannot remove the sidecars in place: ${failed}; left as it is`
    : `removed ${result.removed.join(', ')}`
  const done = { level: failed ? 'error' : 'info', where, text } as const
  if (failed) return { messages: [...messages, done], template: unchanged }
  const after = changedObject(object, result.changes) as Pod
  return {
    messages: [...messages, done],
    template: { before: object as Pod, after, removed: result.proxies },
  }
}
