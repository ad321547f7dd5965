// The NetworkPolicy of both installs (manifests/base/networkpolicy.yaml) against what it must fit:
// it selects the webhook's Pods and nothing else of its namespace, admits each port the container
// opens (by name or number) through exactly one rule and no other port, the webhook port as the
// API server reaches it through the Service, and the metrics port from Prometheus only; and serve,
// with the Deployment's arguments, listens for both on the Pod's address, where they come.
import t from 'tap'
import type { Json } from '../../src/apiserver/attributes.ts'
import { selects } from '../../src/apiserver/label-selector.ts'
import { parseServeArgs } from '../../src/config/serve.ts'
import { renderManifests } from '../helpers/apiserver/cluster.ts'

/** The container port a NetworkPolicy port names, by number or name, or undefined. */
function containerPort(container: Json, port: number | string): Json | undefined {
  return container.ports.find((p: Json) => p.containerPort === port || p.name === port)
}

/** The serve flags of the Deployment, $(VAR) references resolved as the kubelet would. */
function serveFlags(container: Json, namespace: string): string[] {
  const [command, ...flags] = container.args
  if (command !== 'serve') throw new Error(`the container runs ${command}, not serve`)
  const env: Record<string, string> = { POD_NAMESPACE: namespace, SELF_IMAGE: container.image }
  return flags.map((arg: string) =>
    arg.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env[name] ?? `$(${name})`),
  )
}

for (const dir of ['manifests', 'manifests/overlays/cert-manager']) {
  t.test(`${dir}: the NetworkPolicy fits the webhook's Pods and ports`, async (t) => {
    const objects = await renderManifests(dir)
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
    t.equal(policies.length, 1, 'one NetworkPolicy')
    const [policy] = policies
    const [deployment] = objects.filter((o) => o.kind === 'Deployment')
    const [service] = objects.filter((o) => o.kind === 'Service')
    const [mwc] = objects.filter((o) => o.kind === 'MutatingWebhookConfiguration')
    const template = deployment.spec.template
    const [container] = template.spec.containers
    t.equal(policy.metadata.namespace, deployment.metadata.namespace, "in the webhook's namespace")
    t.ok(selects(policy.spec.podSelector, template.metadata.labels), 'selects the webhook Pods')
    t.notOk(selects(policy.spec.podSelector, {}), 'and not every Pod of the namespace')
    t.same(policy.spec.policyTypes, ['Ingress'], 'ingress only: it calls the API server itself')

    // Each rule names one port, each container port has one rule, and nothing else is open.
    const rules: Json[] = policy.spec.ingress
    const ruleOf = new Map<string, Json>()
    for (const rule of rules) {
      t.equal(rule.ports.length, 1, 'one port per rule')
      const [{ port, protocol }] = rule.ports
      t.equal(protocol, 'TCP')
      const target = containerPort(container, port)
      t.ok(target, `port ${port} is a container port`)
      t.notOk(ruleOf.has(target?.name), `port ${port} has no other rule`)
      ruleOf.set(target?.name, rule)
    }
    t.same(
      [...ruleOf.keys()].sort(),
      container.ports.map((p: Json) => p.name).sort(),
      'every container port has its rule',
    )

    // The API server calls the Service port of the webhook configuration, which targets https.
    const servicePort = service.spec.ports.find(
      (p: Json) => p.port === mwc.webhooks[0].clientConfig.service.port,
    )
    const webhookPort = containerPort(container, servicePort.targetPort)
    t.equal(webhookPort.name, 'https')
    const webhookRule = ruleOf.get(webhookPort.name)
    t.equal(webhookRule.from, undefined, 'the webhook port admits any source until narrowed')
    for (const probe of [container.readinessProbe, container.livenessProbe])
      t.equal(containerPort(container, probe.httpGet.port), webhookPort, 'probes use that port')

    const metricsRule = ruleOf.get('metrics')
    t.equal(metricsRule.from.length, 1, 'metrics: one kind of peer')
    const [scraper] = metricsRule.from
    t.ok(
      scraper.namespaceSelector && scraper.podSelector,
      'Pods of a namespace: both selectors in one peer, so both must hold',
    )
    const monitoring = { 'kubernetes.io/metadata.name': 'monitoring' }
    const prometheus = { 'app.kubernetes.io/name': 'prometheus' }
    t.ok(selects(scraper.namespaceSelector, monitoring), 'the namespace monitoring')
    t.notOk(selects(scraper.namespaceSelector, { 'kubernetes.io/metadata.name': 'shop' }))
    t.ok(selects(scraper.podSelector, prometheus), 'Prometheus')
    t.notOk(selects(scraper.podSelector, { app: 'shop' }))

    // What the ports are opened for must be what serve listens on: both, on all of the Pod's
    // addresses (a scrape comes from another Pod, to the Pod's IP).
    const parsed = parseServeArgs(serveFlags(container, deployment.metadata.namespace))
    if (parsed.ok !== true) throw new Error(`serve flags: ${JSON.stringify(parsed)}`)
    t.equal(parsed.value.port, webhookPort.containerPort, 'serve --port is the webhook port')
    t.equal(
      parsed.value.metricsPort,
      containerPort(container, 'metrics').containerPort,
      'serve --metrics-port is the metrics port',
    )
    t.equal(parsed.value.host, '0.0.0.0', "on the Pod's IP, not only loopback")
  })
}
