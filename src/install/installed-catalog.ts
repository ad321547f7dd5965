// The catalog a cluster's webhook injects from, read the way the webhook gets it: the ConfigMap
// manifests/base mounts as its --config, and the image it passes as --image (the Deployment's
// SELF_IMAGE, else its own image), which fills {{self.image}}. Revisions compare only against the
// catalog the webhook really renders: with another image, every metrics sidecar would look
// outdated.
import { type CatalogSource, type Loaded, loadCatalog } from '../catalog/load.ts'
import type { RestClient } from '../kube/rest.ts'
import { CATALOG_KEY, type InstallNames } from './names.ts'

/** Where the catalog and the image came from, and the catalog loaded from them. */
export type InstalledCatalog = Loaded & { from: string; image: string }

interface Container {
  name?: string
  image?: string
  env?: { name?: string; value?: string }[]
}

/** Loads the installed catalog; `given` (--config, --image) takes the place of what it names. */
export async function installedCatalog(
  rest: RestClient,
  names: InstallNames,
  given: { source?: CatalogSource; image?: string },
): Promise<InstalledCatalog> {
  const ns = encodeURIComponent(names.namespace)
  const image =
    given.image ??
    (await webhookImage(
      rest,
      `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(names.deployment)}`,
    ))
  const configMap = `${names.namespace}/${names.catalogConfigMap}`
  const source =
    given.source ??
    (await catalogSource(
      rest,
      `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(names.catalogConfigMap)}`,
      configMap,
    ))
  if (image === undefined)
    return {
      ok: false,
      errors: [`deployment ${names.namespace}/${names.deployment}: not found; give --image`],
      from: configMap,
      image: '',
    }
  const from = given.source
    ? given.source.name
    : source
      ? `ConfigMap ${configMap}`
      : 'the built-in catalog (no ConfigMap)'
  return { ...loadCatalog(source, image), from, image }
}

async function webhookImage(rest: RestClient, path: string): Promise<string | undefined> {
  const deployment = (await rest.get(path)) as
    | { spec?: { template?: { spec?: { containers?: Container[] } } } }
    | undefined
  const containers = deployment?.spec?.template?.spec?.containers ?? []
  const webhook = containers.find((c) => c.name === 'webhook') ?? containers[0]
  const self = webhook?.env?.find((e) => e.name === 'SELF_IMAGE')?.value
  return self ?? webhook?.image
}

async function catalogSource(
  rest: RestClient,
  path: string,
  name: string,
): Promise<CatalogSource | undefined> {
  const configMap = (await rest.get(path)) as { data?: Record<string, string> } | undefined
  const text = configMap?.data?.[CATALOG_KEY]
  return text === undefined ? undefined : { name: `ConfigMap ${name}`, text }
}
