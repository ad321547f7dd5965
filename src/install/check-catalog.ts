// The catalog the webhook reads, from its ConfigMap, loaded as the webhook loads it: a catalog
// with problems is refused whole (the webhook keeps its last good one, or does not start).
import type { V1ConfigMap } from '@kubernetes/client-node'
import { loadCatalog } from '../catalog/load.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { Read } from './facts.ts'
import { CATALOG_KEY, type InstallNames } from './names.ts'
import { accessFix, type CheckResult, failed, passed } from './result.ts'

/** The check, and the catalog when it loads (its mode decides whether native sidecars matter). */
export function checkCatalog(
  read: Read<V1ConfigMap>,
  names: InstallNames,
  selfImage: string,
): { result: CheckResult; catalog?: Catalog } {
  const check = 'catalog'
  const what = `ConfigMap ${names.namespace}/${names.catalogConfigMap}`
  const fix = `edit ${CATALOG_KEY} (manifests/base/catalog.yaml) and apply again; the webhook keeps its last good catalog meanwhile`
  if ('missing' in read)
    return {
      result: failed(
        check,
        `${what} does not exist`,
        'kubectl apply -k manifests/ (or your overlay)',
      ),
    }
  if ('error' in read)
    return {
      result: failed(check, `${what}: ${read.error}`, accessFix('get configmaps', names.namespace)),
    }
  const text = read.found.data?.[CATALOG_KEY]
  if (text === undefined) return { result: failed(check, `${what} has no key ${CATALOG_KEY}`, fix) }
  const loaded = loadCatalog({ name: CATALOG_KEY, text }, selfImage)
  if (!loaded.ok)
    return { result: failed(check, `${what} is invalid: ${loaded.errors.join('; ')}`, fix) }
  const { sidecars, policies, mode } = loaded.catalog
  const message = `${what} loads: ${sidecars.size} sidecars, ${policies.length} policies, mode ${mode}`
  return { result: passed(check, message), catalog: loaded.catalog }
}
