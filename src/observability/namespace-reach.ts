// A gauge of namespaces whose default or policy the API server cannot act on for want of a
// label (src/injection/reach.ts), computed from the namespace cache when Prometheus scrapes, so
// it is never stale and costs nothing between scrapes.
import { Gauge, type Registry } from 'prom-client'
import type { Catalog } from '../injection/catalog.ts'
import { type ReachProblem, unreachable } from '../injection/reach.ts'
import type { NamespaceFacts } from '../injection/scope.ts'

export interface ReachSources {
  /** Every namespace the cache holds. */
  namespaces: () => Iterable<NamespaceFacts>
  catalog: () => Catalog
}

const PROBLEMS: readonly ReachProblem[] = ['defaults-unlabelled', 'policy-unlabelled']

/** Registers sidecar_patterns_namespaces_unreachable{problem} on `registry`. */
export function registerNamespaceReach(registry: Registry, sources: ReachSources): void {
  new Gauge({
    name: 'sidecar_patterns_namespaces_unreachable',
    help: 'Namespaces whose patterns/sidecar default (defaults-unlabelled) or policy (policy-unlabelled) the API server cannot send every Pod of to the webhook, for want of the sidecar-patterns.io/defaults or /enforced label.',
    labelNames: ['problem'],
    registers: [registry],
    collect() {
      const counts = new Map(PROBLEMS.map((p) => [p, 0]))
      const catalog = sources.catalog()
      for (const namespace of sources.namespaces())
        for (const { problem } of unreachable(namespace, catalog))
          counts.set(problem, (counts.get(problem) ?? 0) + 1)
      for (const [problem, count] of counts) this.set({ problem }, count)
    },
  })
}
