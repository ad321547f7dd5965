// Native and classic sidecars, proxy chaining and catalog reload, through the real HTTPS server.
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { watchCatalog } from '../../src/catalog/store.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import { createWebhookMetrics } from '../../src/observability/metrics.ts'
import { catalogFrom, TEST_IMAGE } from '../helpers/config.ts'
import { configMapVolume } from '../helpers/configmap.ts'
import { type RunningWebhook, startWebhook } from '../helpers/https.ts'
import { podViolations } from '../helpers/pod-invariants.ts'
import { decodePatch, podReview } from '../helpers/reviews.ts'

interface Answer {
  response: { allowed: boolean; patch?: string; status?: { message: string } }
}

/** Sends a review for a Pod with these annotations and returns the patched Pod. */
async function inject(webhook: RunningWebhook, annotations: Record<string, string>): Promise<Pod> {
  const review = podReview('shop', annotations)
  const { response } = (await webhook.post('/mutate', JSON.stringify(review))).json as Answer
  if (!response.patch) throw new Error(`not injected: ${response.status?.message}`)
  const pod = structuredClone(review.request.object) as Pod
  applyPatch(pod, decodePatch(response.patch))
  return pod
}

const names = (containers: Container[] = []) => containers.map((c) => c.name)
const argAfter = (c: Container | undefined, flag: string) => c?.args?.[c.args.indexOf(flag) + 1]
const all = {
  'patterns/sidecar': 'git-sync, auth, metrics',
  'patterns/git-sync.repo': 'https://git.example.com/site.git',
}

t.test(
  'native by default: init containers with restartPolicy Always, chained in order',
  async (t) => {
    const webhook = await startWebhook(t)
    const pod = await inject(webhook, all)
    t.same(names(pod.spec.containers), ['web'], 'the app alone in containers')
    t.same(names(pod.spec.initContainers), [
      'patterns-metrics',
      'patterns-auth',
      'patterns-git-sync',
    ])
    t.ok(pod.spec.initContainers?.every((c) => c.restartPolicy === 'Always'))
    const [metrics, auth, gitSync] = pod.spec.initContainers ?? []
    t.equal(argAfter(metrics, '--upstream'), 'http://127.0.0.1:4180', 'client -> metrics -> auth')
    t.ok(auth?.args?.includes('--upstream=http://127.0.0.1:8080/'), 'auth -> app')
    t.match(
      gitSync?.startupProbe,
      { httpGet: { path: '/', port: 'git-sync' } },
      'the app waits for the first sync',
    )
    t.same(podViolations(pod as never), [])
  },
)

t.test(
  'classic on request: regular containers, a one-time init container, no probes on it',
  async (t) => {
    const webhook = await startWebhook(t)
    const pod = await inject(webhook, { ...all, 'patterns/mode': 'classic' })
    t.same(names(pod.spec.containers), [
      'web',
      'patterns-metrics',
      'patterns-auth',
      'patterns-git-sync',
    ])
    t.same(names(pod.spec.initContainers), ['patterns-git-sync-init'])
    const [init] = pod.spec.initContainers ?? []
    t.ok(init?.args?.includes('--one-time'))
    t.same(
      [init?.restartPolicy, init?.startupProbe, init?.ports],
      [undefined, undefined, undefined],
    )
    t.same(podViolations(pod as never), [])
  },
)

t.test('classic from the catalog, and a Pod may still ask for native', async (t) => {
  const classic = catalogFrom({ name: 'classic.yaml', text: 'mode: classic\n' })
  const webhook = await startWebhook(t, { catalog: () => classic })
  const pod = await inject(webhook, { 'patterns/sidecar': 'metrics' })
  t.same(
    [names(pod.spec.containers), pod.spec.initContainers],
    [['web', 'patterns-metrics'], undefined],
  )
  const native = await inject(webhook, { 'patterns/sidecar': 'metrics', 'patterns/mode': 'native' })
  t.same(names(native.spec.initContainers), ['patterns-metrics'])
})

const shipper = (image: string) =>
  `sidecars:\n  - name: shipper\n    container: { image: ${image} }\n`

t.test('a reloaded catalog serves the next review; an invalid one changes nothing', async (t) => {
  const volume = await configMapVolume('')
  let reloaded: (result: string) => void = () => undefined
  const store = await watchCatalog(volume.path, {
    selfImage: TEST_IMAGE,
    log: pino({ level: 'silent' }),
    metrics: createWebhookMetrics(new Registry()),
    onReload: (result) => reloaded(result),
  })
  t.teardown(() => store.close())
  const webhook = await startWebhook(t, { catalog: store.current })
  const ask = { 'patterns/sidecar': 'shipper' }
  const before = (await webhook.post('/mutate', JSON.stringify(podReview('shop', ask))))
    .json as Answer
  t.match(before.response, { allowed: false, status: { message: /unknown sidecar "shipper"/ } })

  const reload = (text: string) =>
    new Promise<string>((resolve) => {
      reloaded = resolve
      void volume.publish(text)
    })
  t.equal(await reload(shipper('example/shipper:1')), 'success')
  const pod = await inject(webhook, ask)
  t.equal(
    pod.spec.initContainers?.[0]?.image,
    'example/shipper:1',
    'the new sidecar, without a restart',
  )

  t.equal(await reload('sidecars:\n  - name: shipper\n    contianer: {}\n'), 'failure')
  const still = await inject(webhook, ask)
  t.equal(still.spec.initContainers?.[0]?.image, 'example/shipper:1', 'the last good catalog stays')
})
