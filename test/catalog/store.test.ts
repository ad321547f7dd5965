// Hot reload as a ConfigMap volume does it: the file is a symlink through ..data, which the kubelet
// swaps atomically to a new timestamped directory. A valid new catalog takes effect without a
// restart; an invalid one is refused with a log line and a metric, and the last good one stays.
import { EventEmitter, once } from 'node:events'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { InvalidCatalogError, watchCatalog } from '../../src/catalog/store.ts'
import { createWebhookMetrics } from '../../src/observability/metrics.ts'
import { TEST_IMAGE } from '../helpers/config.ts'
import { configMapVolume } from '../helpers/configmap.ts'
import { capturingLog } from '../helpers/log.ts'

const customSidecar = (name: string) => `sidecars:
  - name: ${name}
    container: { image: example/${name}:1 }
`

async function watched(t: Test, text: string) {
  const volume = await configMapVolume(text)
  const registry = new Registry()
  const metrics = createWebhookMetrics(registry)
  const { log, lines } = capturingLog()
  const reloads = new EventEmitter()
  const store = await watchCatalog(volume.path, {
    selfImage: TEST_IMAGE,
    log,
    metrics,
    onReload: (result) => reloads.emit('reload', result),
  })
  t.teardown(() => store.close())
  const counted = async (result: string) =>
    (await registry.getSingleMetric('sidecar_patterns_catalog_reloads_total')?.get())?.values.find(
      (v) => v.labels.result === result,
    )?.value ?? 0
  return { ...volume, store, lines, counted, next: () => once(reloads, 'reload').then(([r]) => r) }
}

t.test('a valid new catalog takes effect without a restart', async (t) => {
  const w = await watched(t, customSidecar('first'))
  t.ok(w.store.current().sidecars.has('first'))
  const reloaded = w.next()
  await w.publish(customSidecar('second'))
  t.equal(await reloaded, 'success')
  t.same(
    [w.store.current().sidecars.has('first'), w.store.current().sidecars.has('second')],
    [false, true],
  )
  t.equal(await w.counted('success'), 1)
  t.match(w.lines, [{ msg: 'catalog reloaded' }])
})

t.test('an invalid new catalog is refused; the last good one stays in force', async (t) => {
  const w = await watched(t, customSidecar('good'))
  const before = w.store.current()
  const reloaded = w.next()
  await w.publish('sidecars:\n  - name: bad\n    container: { imag: x }\n')
  t.equal(await reloaded, 'failure')
  t.equal(w.store.current(), before, 'the same catalog object is still in force')
  t.equal(await w.counted('failure'), 1)
  const rejected = w.lines.find(
    (l) => l.msg === 'catalog rejected; the last good one stays in force',
  )
  t.match(rejected, {
    level: 50,
    errors: [/container: must have required properties image/, /container\.imag: unknown key/],
  })

  const recovered = w.next()
  await w.publish(customSidecar('fixed'))
  t.equal(await recovered, 'success', 'and a later valid one is taken')
  t.ok(w.store.current().sidecars.has('fixed'))
})

t.test('an invalid catalog at start is refused with every problem', async (t) => {
  const volume = await configMapVolume('mode: sometimes\nsidecars: 3\n')
  const options = {
    selfImage: TEST_IMAGE,
    log: pino({ level: 'silent' }),
    metrics: createWebhookMetrics(new Registry()),
  }
  const error = await watchCatalog(volume.path, options).catch((e: unknown) => e)
  t.ok(error instanceof InvalidCatalogError)
  t.match((error as InvalidCatalogError).problems, [
    /mode: has the wrong type/,
    /sidecars: must be array/,
  ])
})
