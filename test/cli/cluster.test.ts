// `serve --tls-mode secret` against a fake Kubernetes API, as it runs in a Pod: it creates its
// Secret, puts the CA in its webhook configuration's caBundle, serves the Secret's certificate,
// and reads namespaces for policies and defaults.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { Agent, request } from 'undici'
import { until } from '../helpers/eventually.ts'
import { startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { podReview } from '../helpers/reviews.ts'
import { startServe } from '../helpers/serve-process.ts'

t.test('first start in a cluster: Secret, caBundle, namespaces', async (t) => {
  const api = await startFakeApiServer()
  t.teardown(() => api.close())
  api.createNamespace('sidecar-patterns')
  api.createNamespace('blog', { annotations: { 'patterns/sidecar': 'metrics' } })
  api.createNamespace('media', {
    labels: { 'sidecar-patterns.io/defaults': 'true' },
    annotations: { 'patterns/sidecar': 'metrics' },
  })
  const webhook = (name: string) => ({
    name,
    clientConfig: {
      service: { name: 'sidecar-patterns', namespace: 'sidecar-patterns', path: '/mutate' },
    },
  })
  api.createMutatingWebhookConfiguration('sidecar-patterns', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    webhooks: [
      webhook('enforced.sidecar-patterns.io'),
      webhook('defaults.sidecar-patterns.io'),
      webhook('opt-in.sidecar-patterns.io'),
    ],
  })
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-cluster-'))
  const kubeconfig = join(dir, 'kubeconfig')
  await writeFile(kubeconfig, api.kubeConfig().exportConfig())
  const { origin, metricsUrl } = await startServe(t, [
    '--tls-mode',
    'secret',
    '--kubeconfig',
    kubeconfig,
  ])

  const secret = api.secret('sidecar-patterns', 'sidecar-patterns-tls') as
    | { data: Record<string, string> }
    | undefined
  t.ok(secret, 'the Secret was created')
  const ca = Buffer.from(secret?.data['ca.crt'] ?? '', 'base64').toString()
  const configuration = api.mutatingWebhookConfiguration('sidecar-patterns') as unknown as {
    webhooks: { clientConfig: { caBundle?: string } }[]
  }
  t.same(
    configuration.webhooks.map((w) => w.clientConfig.caBundle),
    [secret?.data['ca.crt'], secret?.data['ca.crt'], secret?.data['ca.crt']],
    'every webhook trusts the CA',
  )

  const agent = new Agent({ connect: { ca, servername: 'sidecar-patterns.sidecar-patterns.svc' } })
  t.teardown(() => agent.close())
  let ready = 0
  await until(
    async () => {
      const answer = await request(`${origin}/readyz`, { dispatcher: agent })
      await answer.body.dump()
      ready = answer.statusCode
      return ready === 200
    },
    { what: () => `/readyz to answer 200 (last ${ready})` },
  )
  t.equal(ready, 200, 'ready once namespaces are listed, over the Secret certificate')
  const answer = await request(`${origin}/mutate`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(podReview('blog')),
  })
  const { response } = (await answer.body.json()) as {
    response: { patchType?: string; warnings?: string[] }
  }
  t.equal(response.patchType, 'JSONPatch', 'the namespace default of blog applies')
  t.match(
    response.warnings,
    [/^namespace blog: its patterns\/sidecar default reaches only Pods that ask/],
    'blog lacks the label that sends the webhook Pods that do not ask',
  )
  const scraped = await (await request(metricsUrl)).body.text()
  t.match(
    scraped,
    /\nsidecar_patterns_namespaces_unreachable\{problem="defaults-unlabelled"\} 1\n/,
    'counted from the namespace cache: blog, not media',
  )
})
