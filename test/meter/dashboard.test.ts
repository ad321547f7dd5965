// The Grafana dashboard in manifests/ reads only metrics and labels that the meter exports, so
// renaming one in the code without the dashboard fails here rather than on someone's screen.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { createMeterMetrics } from '../../src/meter/metrics.ts'
import { createTcpMetrics } from '../../src/meter/tcp-metrics.ts'

// Labels that Prometheus adds to every series of a scraped Pod, not the meter.
const TARGET_LABELS = ['namespace', 'pod', 'instance', 'job']

interface Panel {
  type: string
  title: string
  targets?: { expr: string }[]
}

const dashboard = JSON.parse(
  await readFile(new URL('../../manifests/grafana/meter-dashboard.json', import.meta.url), 'utf8'),
) as { panels: Panel[]; templating: { list: { name: string; query: unknown }[] } }

// What the meter exports with each protocol: HTTP/1.1 and HTTP/2 share the http family.
const registries = [createMeterMetrics('http'), createMeterMetrics('grpc'), createTcpMetrics()]
const exported = new Map<string, Set<string>>()
for (const metric of registries.flatMap((m) => m.registry.getMetricsAsArray())) {
  const labels = new Set([...((metric as { labelNames?: string[] }).labelNames ?? [])])
  const names =
    String(metric.type) === 'histogram'
      ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
      : [metric.name]
  for (const name of names) exported.set(name, name.endsWith('_bucket') ? labels.add('le') : labels)
}

const expressions = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => [p.title, target.expr])),
  ...dashboard.templating.list.flatMap((v) =>
    typeof v.query === 'object' && v.query !== null
      ? [[`$${v.name}`, (v.query as { query: string }).query]]
      : [],
  ),
] as [string, string][]

t.test('every metric the dashboard reads is one the meter exports', async (t) => {
  t.ok(expressions.length > 20, `${expressions.length} expressions`)
  for (const [where, expr] of expressions) {
    for (const [name] of expr.matchAll(/\b(?:meter|process|nodejs)_[a-z_]+\b/g))
      t.ok(exported.has(name), `${where}: ${name}`)
  }
})

t.test('every label it selects or groups by exists on the metric or the target', async (t) => {
  for (const [where, expr] of expressions) {
    const metrics = [...expr.matchAll(/\b(meter_[a-z_]+)\b/g)].map(([, name]) => name as string)
    const known = new Set([
      ...TARGET_LABELS,
      '__name__', // the metric's name, which one query selects two families by

      ...metrics.flatMap((name) => [...(exported.get(name) ?? [])]),
    ])
    const used = [
      ...[...expr.matchAll(/by \(([^)]*)\)/g)].flatMap(([, list]) => (list ?? '').split(',')),
      ...[...expr.matchAll(/([a-z_]+)=~?"/g)].map(([, label]) => label ?? ''),
    ].map((label) => label.trim())
    for (const label of used.filter(Boolean)) t.ok(known.has(label), `${where}: ${label}`)
  }
})

t.test(
  'panels cover rate, errors, latency percentiles and bytes, per Pod and per route',
  async (t) => {
    const titles = dashboard.panels.map((p) => p.title)
    for (const title of [
      'Request rate by Pod',
      'Request rate by route',
      'Error ratio (5xx) by Pod',
      'Error ratio (5xx) by route',
      'Latency percentiles',
      'Latency p99 by route',
      'Latency p99 by Pod',
      'Bytes by Pod',
      'Bytes by route',
    ])
      t.ok(titles.includes(title), title)
  },
)

t.test('gRPC and TCP have panels of their own', async (t) => {
  const titles = dashboard.panels.map((p) => p.title)
  for (const title of [
    'gRPC call rate by status',
    'gRPC error ratio (not OK) by route',
    'gRPC latency p99 by route',
    'gRPC bytes by route',
    'gRPC cancelled calls by route',
    'TCP connections opened by Pod',
    'TCP connections active by Pod',
    'TCP connection duration',
    'TCP bytes by Pod',
  ])
    t.ok(titles.includes(title), title)
})

t.test('the Pod and namespace lists come from a series every protocol exports', async (t) => {
  const families = registries.map((m) => new Set(m.registry.getMetricsAsArray().map((x) => x.name)))
  for (const variable of dashboard.templating.list.filter((v) => v.name !== 'route')) {
    const query = (variable.query as { query?: string }).query
    if (typeof query !== 'string') continue
    const [name] = /\bmeter_[a-z_]+/.exec(query) ?? ['']
    t.ok(
      families.every((f) => f.has(name)),
      `$${variable.name} reads ${name}`,
    )
  }
})
