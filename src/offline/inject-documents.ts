// `sidecar-patterns inject`: the webhook's decision and patch, applied to the Pod templates of a
// multi-document YAML stream, for GitOps pipelines and for seeing what the webhook would do.
import { type Document, LineCounter, parseAllDocuments } from 'yaml'
import type { Catalog } from '../injection/catalog.ts'
import { injectPod } from '../injection/inject-pod.ts'
import { describeProblems } from '../injection/problems.ts'
import type { NamespaceFacts } from '../injection/scope.ts'
import { namespacesIn } from './namespaces.ts'
import { findTemplates, type TemplateSite, valueAt } from './templates.ts'
import { applyToYaml } from './yaml-patch.ts'

export interface Message {
  level: 'error' | 'warning' | 'info'
  /** "document 3 (Deployment shop/web)" */
  where: string
  text: string
}

export interface Injected {
  /** The stream with sidecars added; undefined when any document failed. */
  output: string | undefined
  messages: Message[]
}

export interface InjectOptions {
  catalog: Catalog
  /** The namespace of objects that name none. */
  namespace: string
}

/** Injects every Pod template in a YAML stream; any error withholds the whole output. */
export function injectDocuments(text: string, options: InjectOptions): Injected {
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true })
  const list = Array.isArray(docs) ? docs : []
  const messages: Message[] = list.flatMap((doc, i) =>
    doc.errors.map((e) => ({
      level: 'error' as const,
      where: `document ${i + 1}`,
      text: `line ${e.linePos?.[0].line}: ${e.message.split('\n')[0]}`,
    })),
  )
  if (messages.length) return { output: undefined, messages }
  const namespaces = namespacesIn(list.map((doc) => doc.toJS()))
  for (const [i, doc] of list.entries()) {
    for (const site of findTemplates(doc.toJS()))
      messages.push(...injectSite(doc, site, i + 1, { ...options, namespaces }))
  }
  const failed = messages.some((m) => m.level === 'error')
  return { output: failed ? undefined : list.map((doc) => doc.toString()).join(''), messages }
}

function injectSite(
  doc: Document,
  site: TemplateSite,
  number: number,
  options: InjectOptions & { namespaces: ReadonlyMap<string, NamespaceFacts> },
): Message[] {
  const where = `document ${number} (${site.owner})`
  const namespace = options.namespaces.get(site.namespace ?? options.namespace)
  const injection = injectPod(valueAt(doc.toJS(), site.path), options.catalog, namespace)
  if (!injection.ok)
    return [{ level: 'error', where, text: `the Pod template is not a Pod: ${injection.error}` }]
  const { decision } = injection
  const warnings = decision.warnings.map((text) => ({ level: 'warning' as const, where, text }))
  switch (decision.action) {
    case 'deny':
      return [...warnings, { level: 'error', where, text: describeProblems(decision.problems) }]
    case 'skip':
      return [...warnings, { level: 'info', where, text: `unchanged (${decision.reason})` }]
    case 'inject': {
      applyToYaml(doc, site.path, decision.operations)
      const names = decision.plan.sidecars.map((s) => s.name).join(', ')
      return [...warnings, { level: 'info', where, text: `injected ${names}` }]
    }
  }
}
