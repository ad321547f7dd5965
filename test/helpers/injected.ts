// A Pod as the webhook leaves it, for tests that start from one: injectPod's patch applied to a
// copy by an independent RFC 6902 library, as the API server applies it.
import { applyPatch } from 'rfc6902'
import type { Catalog } from '../../src/injection/catalog.ts'
import { injectPod } from '../../src/injection/inject-pod.ts'
import type { Pod } from '../../src/injection/pod.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'

/** `asked` with the sidecars `catalog` adds in `namespace`, and the webhook's warnings; throws
 *  when nothing is injected or the patch does not apply. */
export function injection(
  asked: Pod,
  catalog: Catalog,
  namespace?: NamespaceFacts,
): { pod: Pod; warnings: string[] } {
  const result = injectPod(asked, catalog, namespace)
  if (!result.ok || result.decision.action !== 'inject')
    throw new Error(`expected an injection: ${JSON.stringify(result)}`)
  const pod = structuredClone(asked)
  if (applyPatch(pod, result.decision.operations as never).some(Boolean))
    throw new Error('the patch does not apply')
  return { pod, warnings: result.decision.warnings }
}

/** The injected Pod alone. */
export const injected = (asked: Pod, catalog: Catalog, namespace?: NamespaceFacts): Pod =>
  injection(asked, catalog, namespace).pod
