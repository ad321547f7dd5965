// The README is part of the interface: its annotation table and set-up commands must match what
// the code and CI do.
import { readFile } from 'node:fs/promises'
import { Registry } from 'prom-client'
import t from 'tap'
import { paramAnnotation } from '../src/injection/annotations.ts'
import type { ParamSpec } from '../src/injection/sidecar.ts'
import { createWebhookMetrics } from '../src/observability/metrics.ts'
import { registerNamespaceReach } from '../src/observability/namespace-reach.ts'
import { builtinCatalog } from './helpers/config.ts'

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), 'utf8')

t.test('the annotation reference lists every parameter with its default', async (t) => {
  const readme = await read('README.md')
  for (const sidecar of builtinCatalog.sidecars.values()) {
    for (const [param, spec] of Object.entries(sidecar.params) as [string, ParamSpec<unknown>][]) {
      const row = readme
        .split('\n')
        .find((line) => line.startsWith(`| \`${paramAnnotation(sidecar.name, param)}\``))
      t.ok(row, `${sidecar.name}.${param} has a row`)
      const expected = {
        defaulted: 'default' in spec ? `\`${spec.default}\`` : '',
        required: 'required',
        optional: '',
      }[spec.presence]
      const cells = (row ?? '').split('|').map((cell) => cell.trim())
      if (expected) t.equal(cells[2], expected, `${sidecar.name}.${param}: ${expected}`)
    }
  }
})

t.test('"Operating" lists every metric of the webhook', async (t) => {
  const readme = await read('README.md')
  const { registry } = createWebhookMetrics(new Registry())
  registerNamespaceReach(registry, { namespaces: () => [], catalog: () => builtinCatalog })
  const ours = (await registry.getMetricsAsJSON())
    .map((m) => m.name)
    .filter((name) => name.startsWith('sidecar_patterns_'))
  t.ok(ours.length >= 6)
  for (const name of ours) t.match(readme, `\n| \`${name}\``, name)
})

t.test('two set-up commands, and CI runs exactly the test one', async (t) => {
  const readme = await read('README.md')
  t.match(readme, /```sh\nnpm ci && npm start\n```/)
  t.match(readme, /```sh\nnpm ci && npm test\n```/)
  t.match(await read('.ci/run'), /\nnpm ci && npm test\n/)
})
