// The webhook's own metrics, registered on a registry that the caller owns (never the global one).
import { Counter, collectDefaultMetrics, Histogram, type Registry } from 'prom-client'

export interface WebhookMetrics {
  registry: Registry
  reviews: Counter<'result' | 'reason'>
  sidecarsInjected: Counter<'sidecar' | 'entry'>
  sidecarsSkipped: Counter<'sidecar' | 'reason'>
  reviewCache: Counter<'result'>
  reviewDuration: Histogram<'result'>
  catalogReloads: Counter<'result'>
}

/** Creates the webhook's metrics, and the process metrics, on `registry`. */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry]
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    reviews: new Counter({
      name: 'sidecar_patterns_admission_reviews_total',
      help: 'Admission reviews answered, by result (injected, skipped, ignored, denied, invalid, error) and reason.',
      labelNames: ['result', 'reason'],
      registers,
    }),
    sidecarsInjected: new Counter({
      name: 'sidecar_patterns_sidecars_injected_total',
      help: "Sidecars injected, by catalog name and the digest of the catalog entry they were rendered from (image included, parameter values aside, which the Pod's patterns/revision adds): after a catalog change, injections under an old digest come from a replica that has not reloaded.",
      labelNames: ['sidecar', 'entry'],
      registers,
    }),
    sidecarsSkipped: new Counter({
      name: 'sidecar_patterns_sidecars_skipped_total',
      help: 'Sidecars a namespace default or a policy asked for and the webhook left out, by catalog name and reason (not-applicable: no app port to front).',
      labelNames: ['sidecar', 'reason'],
      registers,
    }),
    reviewCache: new Counter({
      name: 'sidecar_patterns_review_cache_total',
      help: 'Admission reviews by how the review memo served them: hit (an earlier answer to the same text but the uid), miss (computed, kept from the second sighting) or bypass (computed, never kept).',
      labelNames: ['result'],
      registers,
    }),
    reviewDuration: new Histogram({
      name: 'sidecar_patterns_admission_review_duration_seconds',
      help: 'Time from a review received to its answer, in seconds.',
      labelNames: ['result'],
      // Reviews take well under a millisecond; the API server gives up after timeoutSeconds (5).
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    catalogReloads: new Counter({
      name: 'sidecar_patterns_catalog_reloads_total',
      help: 'Catalog file reloads, by result: success, or failure when the new file was invalid and the last good catalog stayed in force.',
      labelNames: ['result'],
      registers,
    }),
  }
}
