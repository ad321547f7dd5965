// The Grafana dashboard in manifests/ reads only metrics and labels that the meter exports, so
// renaming one in the code without the dashboard fails here rather than on someone's screen.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { createMeterMetrics } from '../../src/meter/metrics.ts'

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

const exported = new Map<string, Set<string>>()
for (const metric of createMeterMetrics().registry.getMetricsAsArray()) {
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
