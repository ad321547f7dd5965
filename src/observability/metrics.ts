// The webhook's own metrics, registered on a registry that the caller owns (never the global one).
import { Counter, type Registry } from 'prom-client'

export interface WebhookMetrics {
  catalogReloads: Counter<'result'>
}

/** Creates the webhook's metrics on `registry`. */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  return {
    catalogReloads: new Counter({
      name: 'sidecar_patterns_catalog_reloads_total',
      help: 'Catalog file reloads, by result: success, or failure when the new file was invalid and the last good catalog stayed in force.',
      labelNames: ['result'],
      registers: [registry],
    }),
  }
}
