// `sidecar-patterns inject`: the webhook's decision and patch, applied to the Pod templates of
// multi-document YAML files, for GitOps pipelines and for seeing what the webhook would do. The
// patch is spliced into the text as written (yaml-splice.ts): a file with nothing to inject comes
// back byte for byte, and an injected one differs only where sidecars were added. A Pod that
// cannot be injected is reported and left as it is; the others are injected all the same.
import fastJsonPatch from 'fast-json-patch'
import type { Catalog } from '../injection/catalog.ts'
import { injectPod } from '../injection/inject-pod.ts'
import type { Operation } from '../injection/patch.ts'
import { describeProblems } from '../injection/problems.ts'
import type { NamespaceFacts } from '../injection/scope.ts'
import {
  change,
  editTemplates,
  type Located,
  type Message,
  type Outcome,
  type Source,
  type Where,
} from './files.ts'
import { namespacesIn } from './namespaces.ts'
import { changesOf } from './patch-changes.ts'
import { reachServices, type SeenTemplate } from './services.ts'
import { type TemplateSite, valueAt } from './templates.ts'
import { SpliceError } from './yaml-change.ts'

export interface InjectOptions {
  catalog: Catalog
  /** The namespace of objects that name none. */
  namespace: string
  /** Re-point Services that target an injected app port at the proxy in front of it. */
  retargetServices?: boolean
}

/** Injects every Pod template of `sources`; one that cannot be injected is left as it is. */
export function injectSources(sources: readonly Source[], options: InjectOptions): Outcome {
  return editTemplates<SeenTemplate>(sources, (docs) => {
    const context = { ...options, namespaces: namespacesIn(docs.map((d) => d.object)) }
    return {
      template: (doc, site, where) => {
        const { messages, template } = injectSite(doc, site, where, context)
        return { messages, ...(template && { kept: template }) }
      },
      around: (seen) =>
        reachServices(docs, seen, {
          namespace: options.namespace,
          retarget: options.retargetServices === true,
        }),
    }
  })
}

interface SiteResult {
  messages: Message[]
  template?: SeenTemplate
}

// One Pod template: decided on as the webhook would, and, if sidecars are to be added, the patch
// spliced in. Anything that keeps it from being injected leaves it as it is, with an error.
function injectSite(
  doc: Located,
  site: TemplateSite,
  where: Where,
  options: InjectOptions & { namespaces: ReadonlyMap<string, NamespaceFacts> },
): SiteResult {
  const namespace = site.namespace ?? options.namespace
  const facts = options.namespaces.get(namespace)
  const injection = injectPod(valueAt(doc.object, site.path), options.catalog, facts)
  const say = (level: Message['level'], text: string): Message => ({ level, where, text })
  if (!injection.ok)
    return {
      messages: [
        say('error', `the Pod template is not a Pod: ${injection.error.trim()}; left as it is`),
      ],
    }
  const { decision, pod } = injection
  const messages = decision.warnings.map((text) => say('warning', text))
  const template = { namespace, where, pod }
  if (decision.action === 'skip')
    return { messages: [...messages, say('info', `unchanged (${decision.reason})`)], template }
  if (decision.action === 'deny')
    return {
      messages: [
        ...messages,
        say('error', `${describeProblems(decision.problems)}; left as it is`),
      ],
      template,
    }
  const failed = splice(doc, site, decision.operations)
  if (failed)
    return {
      messages: [
        ...messages,
        say('error', `cannot add the sidecars in place: ${failed}; left as it is`),
      ],
      template,
    }
  const names = decision.plan.sidecars.map((s) => s.name).join(', ')
  // The template as injected, for the Services that select it.
  const injected = fastJsonPatch.applyPatch(structuredClone(pod), decision.operations, false, false)
  return {
    messages: [...messages, say('info', `injected ${names}`)],
    template: { namespace, where, pod: injected.newDocument, plan: decision.plan },
  }
}

function splice(
  doc: Located,
  site: TemplateSite,
  operations: readonly Operation[],
): string | undefined {
  try {
    return change(doc, changesOf(doc.yaml, site.path, operations))
  } catch (error) {
    if (error instanceof SpliceError) return error.message
    throw error
  }
}
