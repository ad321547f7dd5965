// The catalog a cluster's webhook injects from, found the way the webhook gets it: the ConfigMap
// manifests/base mounts as its --config, and the image its Deployment passes as --image (the
// webhook container's SELF_IMAGE, else its own image), which fills {{self.image}}. Every command
// that reads the installed catalog (check, explain, status) finds it here, so each judges or
// compares against the catalog the webhook really renders: with another image, every metrics
// sidecar would look outdated.
import { type CatalogSource, type Loaded, loadCatalog } from '../catalog/load.ts'
import type { RestClient } from '../kube/rest.ts'
import { CATALOG_KEY, type InstallNames } from './names.ts'

/** Where the catalog and the image came from, and the catalog loaded from them. */
export type InstalledCatalog = Loaded & { from: string; image: string }

/** The fields of a Deployment that say its webhook's image: plain JSON or client-node's model. */
export interface WebhookDeployment {
  spec?: { template?: { spec?: { containers?: readonly WebhookContainer[] } } }
}

interface WebhookContainer {
  name?: string
  image?: string
  env?: readonly { name?: string; value?: string }[]
}

/** The fields of a ConfigMap that hold the catalog. */
export interface CatalogConfigMap {
  data?: Readonly<Record<string, string>>
}

// The container manifests/base names; an overlay that renames it leaves the first one.
const WEBHOOK_CONTAINER = 'webhook'
// The variable manifests/base/kustomization.yaml fills with the image and passes as --image.
const SELF_IMAGE = 'SELF_IMAGE'

/** The image the webhook of `deployment` passes as --image, if it names one. */
export function webhookImage(deployment: WebhookDeployment): string | undefined {
  const containers = deployment.spec?.template?.spec?.containers ?? []
  const webhook = containers.find((c) => c.name === WEBHOOK_CONTAINER) ?? containers[0]
  return webhook?.env?.find((e) => e.name === SELF_IMAGE)?.value ?? webhook?.image
}

/** The catalog file the webhook mounts from `configMap`, if the ConfigMap holds one. */
export function catalogText(configMap: CatalogConfigMap): string | undefined {
  return configMap.data?.[CATALOG_KEY]
}

/** Loads the installed catalog; `given` (--config, --image) takes the place of what it names. */
export async function installedCatalog(
  rest: RestClient,
  names: InstallNames,
  given: { source?: CatalogSource; image?: string },
): Promise<InstalledCatalog> {
  const ns = encodeURIComponent(names.namespace)
  const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(names.deployment)}`
  const configMapPath = `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(names.catalogConfigMap)}`
  const image = given.image ?? (await read<WebhookDeployment>(rest, deploymentPath, webhookImage))
  const configMap = `${names.namespace}/${names.catalogConfigMap}`
  const text = given.source ? undefined : await read(rest, configMapPath, catalogText)
  const source =
    given.source ?? (text === undefined ? undefined : { name: `ConfigMap ${configMap}`, text })
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

// The object at `path` through `pick`; undefined when it does not exist.
async function read<T>(
  rest: RestClient,
  path: string,
  pick: (found: T) => string | undefined,
): Promise<string | undefined> {
  const found = (await rest.get(path)) as T | undefined
  return found === undefined ? undefined : pick(found)
}
