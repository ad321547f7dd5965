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
  command?: readonly string[]
  args?: readonly string[]
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
  const webhook = webhookContainer(deployment)
  return webhook?.env?.find((e) => e.name === SELF_IMAGE)?.value ?? webhook?.image
}

/** Whether the webhook of `deployment` is started with a catalog file (--config). */
export function webhookReadsConfig(deployment: WebhookDeployment): boolean {
  const webhook = webhookContainer(deployment)
  const words = [...(webhook?.command ?? []), ...(webhook?.args ?? [])]
  return words.some((word) => word === '--config' || word.startsWith('--config='))
}

function webhookContainer(deployment: WebhookDeployment): WebhookContainer | undefined {
  const containers = deployment.spec?.template?.spec?.containers ?? []
  return containers.find((c) => c.name === WEBHOOK_CONTAINER) ?? containers[0]
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
  // Read only to learn the image: with --image given, what the Deployment runs stays unknown.
  const deployment =
    given.image === undefined
      ? ((await rest.get(
          `/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(names.deployment)}`,
        )) as WebhookDeployment | undefined)
      : undefined
  const image = given.image ?? (deployment && webhookImage(deployment))
  if (image === undefined) {
    const why = deployment ? 'its webhook container names no image' : 'not found'
    return failed(
      names,
      '',
      `deployment ${names.namespace}/${names.deployment}: ${why}; give --image`,
    )
  }
  if (given.source) return { ...loadCatalog(given.source, image), from: given.source.name, image }
  const found = (await rest.get(
    `/api/v1/namespaces/${ns}/configmaps/${encodeURIComponent(names.catalogConfigMap)}`,
  )) as CatalogConfigMap | undefined
  const text = found && catalogText(found)
  if (text === undefined) return withoutConfigMap(names, image, deployment, found !== undefined)
  const from = `ConfigMap ${names.namespace}/${names.catalogConfigMap}`
  return { ...loadCatalog({ name: from, text }, image), from, image }
}

// No catalog in the ConfigMap: a webhook started with --config does not start without it, so
// no built-in catalog stands in; one started without --config runs the built-in catalog.
function withoutConfigMap(
  names: InstallNames,
  image: string,
  deployment: WebhookDeployment | undefined,
  exists: boolean,
): InstalledCatalog {
  const configMap = `${names.namespace}/${names.catalogConfigMap}`
  if (deployment && webhookReadsConfig(deployment)) {
    const what = exists ? `has no key ${CATALOG_KEY}` : 'not found'
    const deploymentName = `${names.namespace}/${names.deployment}`
    return failed(
      names,
      image,
      `ConfigMap ${configMap}: ${what}, and deployment ${deploymentName} reads its catalog from it (--config), so its Pods cannot start; give --config to use a file`,
    )
  }
  const from = deployment
    ? 'the built-in catalog (the webhook runs without --config)'
    : 'the built-in catalog (no ConfigMap)'
  return { ...loadCatalog(undefined, image), from, image }
}

function failed(names: InstallNames, image: string, error: string): InstalledCatalog {
  return { ok: false, errors: [error], from: `${names.namespace}/${names.catalogConfigMap}`, image }
}
