// The built-in catalog. Its order is the proxy chain's order: earlier proxies sit in front.
import type { Images, Sidecar } from '../sidecar.ts'
import { auth } from './auth.ts'
import { gitSync } from './git-sync.ts'
import { metrics } from './metrics.ts'

/** Sidecars by name, in chain order: metrics measures what clients see, auth included. */
export type Catalog = ReadonlyMap<string, Sidecar>

export const builtinCatalog: Catalog = new Map([metrics, auth, gitSync].map((s) => [s.name, s]))

/** Default images; the meter is this project's own image at this version. */
export function defaultImages(version: string): Images {
  return {
    meter: `ghcr.io/sidecar-patterns/sidecar-patterns:${version}`,
    oauth2Proxy: 'quay.io/oauth2-proxy/oauth2-proxy:v7.7.1',
    gitSync: 'registry.k8s.io/git-sync/git-sync:v4.4.0',
  }
}
