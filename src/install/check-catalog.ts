// The catalog the webhook reads, from its ConfigMap, loaded as the webhook loads it (with the
// image its Deployment passes as --image, found as explain and status find it): a catalog with
// problems is refused whole (the webhook keeps its last good one, or does not start).
import { loadCatalog } from '../catalog/load.ts'
import type { Catalog } from '../injection/catalog.ts'
import type { InstallFacts } from './facts.ts'
import { catalogText, webhookImage } from './installed-catalog.ts'
import { CATALOG_KEY, type InstallNames } from './names.ts'
import { accessFix, type CheckResult, failed, passed } from './result.ts'

/**
 * The check, and the catalog when it loads (its mode decides whether native sidecars matter).
 * `cliImage` fills {{self.image}} only when the Deployment cannot say which image it passes.
 */
export function checkCatalog(
  facts: Pick<InstallFacts, 'catalog' | 'deployment'>,
  names: InstallNames,
  cliImage: string,
): { result: CheckResult; catalog?: Catalog } {
  const check = 'catalog'
  const what = `ConfigMap ${names.namespace}/${names.catalogConfigMap}`
  const fix = `edit ${CATALOG_KEY} (manifests/base/catalog.yaml) and apply again; the webhook keeps its last good catalog meanwhile`
  const read = facts.catalog
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
  const text = catalogText(read.found)
  if (text === undefined) return { result: failed(check, `${what} has no key ${CATALOG_KEY}`, fix) }
  const image = imageOf(facts.deployment, cliImage)
  const loaded = loadCatalog({ name: CATALOG_KEY, text }, image.image)
  if (!loaded.ok)
    return { result: failed(check, `${what} is invalid: ${loaded.errors.join('; ')}`, fix) }
  const { sidecars, policies, mode } = loaded.catalog
  const message = `${what} loads: ${sidecars.size} sidecars, ${policies.length} policies, mode ${mode}; {{self.image}} is ${image.image} (${image.from})`
  return { result: passed(check, message), catalog: loaded.catalog }
}

// The image the webhook renders with; the Deployment check already fails when it cannot be read.
function imageOf(deployment: InstallFacts['deployment'], cliImage: string) {
  const image = 'found' in deployment ? webhookImage(deployment.found) : undefined
  return image === undefined
    ? { image: cliImage, from: "this client's release image: the Deployment's is unknown" }
    : { image, from: 'as the Deployment passes it' }
}
