// A Service created before the Deployment, whose targetPort is the app port's name, reaches the
// meter once the Pod is created through the model of the API server (test/helpers/apiserver) with
// our real webhook over HTTPS and a later webhook that makes the API server call us again. The
// oracle is the EndpointSlice controller's FindPort (src/apiserver/find-port.ts), asked
// about the Pod as stored.
import t from 'tap'
import type { Json } from '../../src/apiserver/attributes.ts'
import { findPort } from '../../src/apiserver/find-port.ts'
import { costLabeller } from '../helpers/apiserver/answers.ts'
import { modelCluster } from '../helpers/apiserver/cluster.ts'

// What the Service says, as the shop's manifests hold it, before any Pod exists.
const service = { name: 'web', targetPort: 'http', protocol: 'TCP' } as const

function deploymentPod(annotations: Record<string, string>, ports: Json[]): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'web-5d8f9c7b6-', labels: { app: 'web' }, annotations },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'example/web:1.4.2',
          ports,
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
        },
      ],
    },
  }
}

const others = [costLabeller('zz-cost-labels', 'cost.example.com')]

for (const mode of ['native', 'classic'] as const) {
  t.test(`${mode}: the Service's named targetPort now finds the meter`, async (t) => {
    const { api } = await modelCluster(t, { others })
    api.putNamespace('shop')
    const asked = { 'patterns/sidecar': 'metrics', 'patterns/mode': mode }
    const created = await api.createPod(
      'shop',
      deploymentPod(asked, [{ name: 'http', containerPort: 8080 }]),
    )
    t.equal(created.code, 201, created.status?.message ?? 'created')
    t.same(
      created.calls.map((c) => [c.webhook, c.changed]),
      [
        ['opt-in.sidecar-patterns.io', true],
        ['cost.example.com', true],
        ['opt-in.sidecar-patterns.io', false],
      ],
      'called again after the later webhook, which changes nothing',
    )
    t.equal(findPort(created.pod, service), 15080, "the meter's port")
    t.equal(findPort(created.pod, { targetPort: 'http-app' }), 8080, 'the app, renamed')
    t.equal(created.pod.spec.containers[0].readinessProbe.httpGet.port, 8080, 'its probe')
  })
}

t.test(
  'an unnamed app port: a Service by number reaches the app, as the answer says',
  async (t) => {
    const { api } = await modelCluster(t)
    api.putNamespace('shop')
    const created = await api.createPod(
      'shop',
      deploymentPod({ 'patterns/sidecar': 'metrics', 'patterns/metrics.port': '8080' }, [
        { containerPort: 8080 },
      ]),
    )
    t.equal(created.code, 201, created.status?.message ?? 'created')
    t.equal(findPort(created.pod, { targetPort: 8080 }), 8080, 'past the meter')
    t.equal(findPort(created.pod, { targetPort: 'meter-http' }), 15080, 'unless pointed at it')
    t.match(created.warnings, [
      /app port 8080 has no name: a Service reaches metrics only with targetPort meter-http, not 8080/,
    ])
  },
)
