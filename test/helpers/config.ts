// The catalogs tests use: the built-in one, and the built-in one extended by the test catalog
// file (a custom sidecar and policies), both with the image pinned to a test tag.
import { readFileSync } from 'node:fs'
import { type CatalogSource, loadCatalog } from '../../src/catalog/load.ts'
import type { Catalog } from '../../src/injection/catalog.ts'

export const TEST_IMAGE = 'ghcr.io/sidecar-patterns/sidecar-patterns:0.0.0-test'

/** Loads a catalog or fails the test run loudly. */
export function catalogFrom(source?: CatalogSource): Catalog {
  const loaded = loadCatalog(source, TEST_IMAGE)
  if (!loaded.ok) throw new Error(`test catalog is invalid:\n${loaded.errors.join('\n')}`)
  return loaded.catalog
}

export const builtinCatalog = catalogFrom()

export const TEST_CATALOG_PATH = new URL('../fixtures/catalog.yaml', import.meta.url).pathname
export const testCatalog = catalogFrom({
  name: 'catalog.yaml',
  text: readFileSync(TEST_CATALOG_PATH, 'utf8'),
})

/** One sidecar with an app mount (a log shipper) that a policy requires where compliance: pci. */
export const logShippingCatalog = catalogFrom({
  name: 'log-shipping.yaml',
  text: `sidecars:
  - name: log-shipper
    params:
      endpoint: { type: string, required: true }
    container: { image: "example/shipper:1", args: ["--to={{endpoint}}"] }
    volumes:
      - { name: logs, emptyDir: {}, mountPath: /logs, appMountPath: /var/log/app }
policies:
  - { name: regulated-logs, namespaceSelector: { matchLabels: { compliance: pci } }, required: [log-shipper] }
`,
})

/** A catalog's text with one sidecar, a log shipper with a required and a defaulted parameter. */
export const SHIPPER_CATALOG = `sidecars:
  - name: shipper
    summary: ships logs
    params:
      endpoint: { type: string, required: true, summary: where to }
      level: { type: enum, values: [info, debug], default: info }
    container:
      image: registry.example.com/shipper:1
      args: ["--to={{endpoint}}", "--level={{level}}"]
`
