// The gauge of namespaces the API server cannot act on counts what the namespace cache holds at
// scrape time, with the catalog in force then.
import { Registry } from 'prom-client'
import t from 'tap'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { registerNamespaceReach } from '../../src/observability/namespace-reach.ts'
import { builtinCatalog, catalogFrom } from '../helpers/config.ts'

const withPolicy = catalogFrom({
  name: 'policies.yaml',
  text: 'policies:\n  - { name: prod-metering, namespaceSelector: { matchLabels: { env: prod } }, required: [metrics] }\n',
})

t.test('counts each problem over the namespaces at scrape time', async (t) => {
  const registry = new Registry()
  let catalog = builtinCatalog
  const namespaces: NamespaceFacts[] = [
    { name: 'a', labels: {}, annotations: { 'patterns/sidecar': 'metrics' } },
    { name: 'b', labels: { env: 'prod' }, annotations: { 'patterns/sidecar': 'auth' } },
    {
      name: 'c',
      labels: { 'sidecar-patterns.io/defaults': 'true' },
      annotations: { 'patterns/sidecar': 'auth' },
    },
  ]
  registerNamespaceReach(registry, { namespaces: () => namespaces, catalog: () => catalog })
  const scrape = async () =>
    (await registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('sidecar_patterns_namespaces_unreachable{'))
  t.same(await scrape(), [
    'sidecar_patterns_namespaces_unreachable{problem="defaults-unlabelled"} 2',
    'sidecar_patterns_namespaces_unreachable{problem="policy-unlabelled"} 0',
  ])
  catalog = withPolicy
  namespaces.push({
    name: 'd',
    labels: { env: 'prod', 'sidecar-patterns.io/enforced': 'true' },
    annotations: {},
  })
  t.same(
    await scrape(),
    [
      'sidecar_patterns_namespaces_unreachable{problem="defaults-unlabelled"} 2',
      'sidecar_patterns_namespaces_unreachable{problem="policy-unlabelled"} 1',
    ],
    'a new catalog and a new namespace count at the next scrape',
  )
})
