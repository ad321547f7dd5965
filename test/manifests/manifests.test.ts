// What `kubectl apply -k` would install: every object renders and parses, the webhook
// configuration reaches the Service, port and path the server serves, and RBAC grants exactly the
// requests the code makes (recorded against a fake API server).
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { noNamespaces } from '../../src/admission/namespaces.ts'
import { loadCatalog } from '../../src/catalog/load.ts'
import { watchNamespaces } from '../../src/kube/namespaces.ts'
import { buildServer } from '../../src/server.ts'
import { certificateManager } from '../../src/tls/certificate-manager.ts'
import { ensureCertificate } from '../../src/tls/secret-certificates.ts'
import { renderManifests } from '../helpers/apiserver/cluster.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { type FakeApiServer, fakeApiServerFor } from '../helpers/fake-apiserver.ts'
import { type Authorization, authorizationOf } from '../helpers/fake-apiserver-rbac.ts'
import { clock, DAY_MS, fakeCluster, replica, SECRETS_PATH } from '../tls/support.ts'

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked as plain JSON
type Obj = any

const find = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind)

t.test('the cert-manager overlay renders every object the install needs', async (t) => {
  const objects = await renderManifests('manifests/overlays/cert-manager')
  t.same(objects.map((o) => o.kind).sort(), [
    'Certificate',
    'ClusterRole',
    'ClusterRoleBinding',
    'ConfigMap',
    'Deployment',
    'Issuer',
    'MutatingWebhookConfiguration',
    'Namespace',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Service',
    'ServiceAccount',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ])
  const [mwc] = find(objects, 'MutatingWebhookConfiguration')
  t.equal(
    mwc.metadata.annotations['cert-manager.io/inject-ca-from'],
    'sidecar-patterns/sidecar-patterns',
  )
  const [certificate] = find(objects, 'Certificate')
  const [service] = find(objects, 'Service')
  t.ok(
    certificate.spec.dnsNames.includes(
      `${service.metadata.name}.${service.metadata.namespace}.svc`,
    ),
    'covers the Service name',
  )
  const [deployment] = find(objects, 'Deployment')
  t.equal(
    deployment.spec.template.spec.volumes.find((v: Obj) => v.name === 'certs').secret.secretName,
    certificate.spec.secretName,
  )
})

t.test('the webhook configuration reaches what the server serves', async (t) => {
  const objects = await renderManifests('manifests')
  const [mwc] = find(objects, 'MutatingWebhookConfiguration')
  const [service] = find(objects, 'Service')
  const [deployment] = find(objects, 'Deployment')
  const container = deployment.spec.template.spec.containers[0]
  const app = buildServer({ catalog: () => builtinCatalog, namespaces: noNamespaces })
  t.teardown(() => app.close())
  await app.ready()
  t.same(
    mwc.webhooks.map((w: Obj) => [w.name, w.failurePolicy]),
    [
      ['enforced.sidecar-patterns.io', 'Fail'],
      ['defaults.sidecar-patterns.io', 'Ignore'],
      ['opt-in.sidecar-patterns.io', 'Ignore'],
    ],
  )
  for (const webhook of mwc.webhooks) {
    const { service: target } = webhook.clientConfig
    t.same(
      [target.name, target.namespace],
      [service.metadata.name, service.metadata.namespace],
      'the Service',
    )
    const port = service.spec.ports.find((p: Obj) => p.port === target.port)
    const containerPort = container.ports.find((p: Obj) => p.name === port.targetPort).containerPort
    t.ok(container.args.includes(`--port=${containerPort}`), 'the port the server listens on')
    t.ok(app.hasRoute({ method: 'POST', url: target.path }), `the path ${target.path} is served`)
    t.match(webhook, {
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      reinvocationPolicy: 'IfNeeded',
      rules: [
        { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
      ],
    })
    t.ok(webhook.timeoutSeconds >= 1 && webhook.timeoutSeconds <= 10)
    const excluded = webhook.namespaceSelector.matchExpressions.find(
      (e: Obj) => e.key === 'kubernetes.io/metadata.name',
    )
    t.same(
      [excluded.operator, excluded.values],
      ['NotIn', ['sidecar-patterns', 'kube-system']],
      'never its own namespace',
    )
  }
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    t.ok(
      app.hasRoute({ method: 'GET', url: probe.httpGet.path }),
      `${probe.httpGet.path} is served`,
    )
  }
  t.equal(deployment.spec.replicas, 2)
  t.match(container.securityContext, {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  })
  t.match(deployment.spec.template.spec.securityContext, { runAsNonRoot: true })
  t.match(container.resources, {
    requests: { cpu: String, memory: String },
    limits: { memory: String },
  })
  const [pdb] = find(objects, 'PodDisruptionBudget')
  t.match(
    deployment.spec.template.metadata.labels,
    pdb.spec.selector.matchLabels,
    'the PDB covers the Pods',
  )
  t.match(
    deployment.spec.template.metadata.labels,
    service.spec.selector,
    'the Service selects the Pods',
  )
  t.equal(
    container.env.find((e: Obj) => e.name === 'SELF_IMAGE').value,
    container.image,
    'one image setting',
  )
})

t.test('the shipped catalog loads', async (t) => {
  const text = readFileSync(new URL('../../manifests/base/catalog.yaml', import.meta.url), 'utf8')
  t.equal(loadCatalog({ name: 'catalog.yaml', text }, 'x').ok, true)
})

interface Rule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
  resourceNames?: string[]
}

function rulesOf(objects: Obj[]): Rule[] {
  return [...find(objects, 'ClusterRole'), ...find(objects, 'Role')].flatMap(
    (role: Obj) => role.rules,
  )
}

function allows(rule: Rule, a: Authorization): boolean {
  const named =
    rule.resourceNames === undefined ||
    (a.name !== undefined && rule.resourceNames.includes(a.name))
  return (
    rule.apiGroups.includes(a.apiGroup) &&
    rule.resources.includes(a.resource) &&
    rule.verbs.includes(a.verb) &&
    named
  )
}

/** Every request is allowed, and every verb of every rule is used by some request. */
function compare(t: Test, rules: Rule[], used: Authorization[]) {
  for (const a of used)
    t.ok(
      rules.some((rule) => allows(rule, a)),
      `allowed: ${a.verb} ${a.resource} ${a.name ?? ''}`,
    )
  for (const rule of rules) {
    for (const verb of rule.verbs) {
      const exercised = used.some((a) => allows({ ...rule, verbs: [verb] }, a))
      t.ok(exercised, `used: ${verb} ${rule.resources.join()} ${rule.resourceNames?.join() ?? ''}`)
    }
  }
}

// What the namespace cache asks: the first list, the watch, and a GET on a cache miss.
async function namespaceRequests(api: FakeApiServer): Promise<void> {
  api.createNamespace('shop')
  const watcher = watchNamespaces(api.kubeConfig(), pino({ level: 'silent' }))
  await watcher.start()
  await watcher.lookup.get('brand-new-and-missing')
  await watcher.stop()
}

// What --tls-mode secret asks: a first start that loses the create race, and a renewal.
async function secretRequests(t: Test, api: FakeApiServer): Promise<void> {
  const time = clock()
  const manager = certificateManager({
    ...replica(api, { now: time.now }),
    registry: new Registry(),
    onCertificate: () => undefined,
  })
  t.teardown(() => manager.stop())
  api.beforeNext('POST', SECRETS_PATH, () => ensureCertificate(replica(api, { now: time.now })))
  await manager.start()
  time.advance(250 * DAY_MS)
  await manager.check()
}

t.test('RBAC of the default install grants exactly what the code asks of the API', async (t) => {
  const api = await fakeCluster(t)
  await namespaceRequests(api)
  await secretRequests(t, api)
  compare(t, rulesOf(await renderManifests('manifests')), api.requests().map(authorizationOf))
})

t.test('RBAC of the cert-manager install grants only what reading namespaces needs', async (t) => {
  const api = await fakeApiServerFor(t)
  await namespaceRequests(api)
  compare(
    t,
    rulesOf(await renderManifests('manifests/overlays/cert-manager')),
    api.requests().map(authorizationOf),
  )
})
