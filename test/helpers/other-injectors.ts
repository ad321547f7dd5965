// What other sidecar injectors add to a Pod, as their sources render it (the records are read in
// src/injection/other-injectors.ts): for tests where one of them runs before or after ours.
import type { Container, Pod, Volume } from '../../src/injection/pod.ts'

/** Adds an injector's containers and record to a copy of `pod`. */
export type OtherInjector = (pod: Pod) => Pod

/** Where an injector puts what it adds: before or after the Pod's own, in either list. */
interface Added {
  first?: Container[]
  last?: Container[]
  initFirst?: Container[]
  initLast?: Container[]
  volumes?: Volume[]
}

function injector(
  added: Added,
  field: 'annotations' | 'labels',
  record: Record<string, string>,
): OtherInjector {
  return (pod) => {
    const { first = [], last = [], initFirst = [], initLast = [], volumes = [] } = added
    const init = [...initFirst, ...(pod.spec.initContainers ?? []), ...initLast]
    const metadata = pod.metadata ?? {}
    const present = metadata[field] as Record<string, string> | undefined
    return {
      ...pod,
      metadata: { ...metadata, [field]: { ...present, ...record } },
      spec: {
        ...pod.spec,
        containers: [...first, ...pod.spec.containers, ...last],
        ...(init.length && { initContainers: init }),
        ...((volumes.length || pod.spec.volumes) && {
          volumes: [...(pod.spec.volumes ?? []), ...volumes],
        }),
      },
    }
  }
}

const ISTIO_IMAGE = 'docker.io/istio/proxyv2:1.24.0'

// Istio in classic mode: istio-proxy last with Envoy's Prometheus port, istio-init, its volume
// (istio/istio manifests/charts/istio-control/istio-discovery/files/injection-template.yaml).
export const istio = injector(
  {
    last: [
      {
        name: 'istio-proxy',
        image: ISTIO_IMAGE,
        ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
      },
    ],
    initLast: [{ name: 'istio-init', image: ISTIO_IMAGE }],
    volumes: [{ name: 'istio-envoy', emptyDir: {} }],
  },
  'annotations',
  {
    'sidecar.istio.io/status': JSON.stringify({
      initContainers: ['istio-init'],
      containers: ['istio-proxy'],
      volumes: ['istio-envoy'],
      imagePullSecrets: null,
      revision: 'default',
    }),
  },
)

// Linkerd in classic mode: linkerd-proxy first, linkerd-init first among the init containers
// (linkerd/linkerd2 charts/patch/templates/patch.json).
export const linkerd = injector(
  {
    first: [
      {
        name: 'linkerd-proxy',
        image: 'cr.l5d.io/linkerd/proxy:stable-2.14.10',
        ports: [
          { containerPort: 4143, name: 'linkerd-proxy' },
          { containerPort: 4191, name: 'linkerd-admin' },
        ],
      },
    ],
    initFirst: [{ name: 'linkerd-init', image: 'cr.l5d.io/linkerd/proxy-init:v2.2.3' }],
  },
  'annotations',
  { 'linkerd.io/proxy-version': 'stable-2.14.10' },
)

// Vault's agent: vault-agent-init first among the init containers, vault-agent last.
export const vault = injector(
  {
    last: [{ name: 'vault-agent', image: 'hashicorp/vault:1.18' }],
    initFirst: [{ name: 'vault-agent-init', image: 'hashicorp/vault:1.18' }],
  },
  'annotations',
  { 'vault.hashicorp.com/agent-inject-status': 'injected' },
)

// Dapr: daprd last, with its ports, and a label (dapr/dapr pkg/injector).
export const dapr = injector(
  {
    last: [
      {
        name: 'daprd',
        image: 'ghcr.io/dapr/daprd:1.14.4',
        ports: [
          { containerPort: 3500, name: 'dapr-http' },
          { containerPort: 50001, name: 'dapr-grpc' },
          { containerPort: 50002, name: 'dapr-internal' },
          { containerPort: 9090, name: 'dapr-metrics' },
        ],
      },
    ],
  },
  'labels',
  { 'dapr.io/sidecar-injected': 'true' },
)

// Consul in a multi-port Pod: a dataplane and an init container per service
// (hashicorp/consul-k8s control-plane/connect-inject/webhook).
export const consul = injector(
  {
    last: [
      { name: 'consul-dataplane-web', image: 'hashicorp/consul-dataplane:1.6' },
      { name: 'consul-dataplane-admin', image: 'hashicorp/consul-dataplane:1.6' },
    ],
    initLast: [
      { name: 'consul-connect-inject-init-web', image: 'hashicorp/consul-k8s-control-plane:1.6' },
    ],
  },
  'annotations',
  { 'consul.hashicorp.com/connect-inject-status': 'injected' },
)

// Kuma before Kubernetes 1.29: kuma-sidecar first, kuma-init
// (kumahq/kuma pkg/plugins/runtime/k8s/webhooks/injector).
export const kuma = injector(
  {
    first: [
      { name: 'kuma-sidecar', image: 'kumahq/kuma-dp:2.9.0', ports: [{ containerPort: 9901 }] },
    ],
    initLast: [{ name: 'kuma-init', image: 'kumahq/kuma-init:2.9.0' }],
  },
  'annotations',
  { 'kuma.io/sidecar-injected': 'true' },
)

// OpenTelemetry's operator: otc-container last, with the collector's metrics port, and a label
// naming the collector (open-telemetry/opentelemetry-operator pkg/sidecar/pod.go).
export const openTelemetry = injector(
  {
    last: [
      {
        name: 'otc-container',
        image: 'otel/opentelemetry-collector:0.110.0',
        ports: [{ containerPort: 8888, name: 'metrics' }],
      },
    ],
  },
  'labels',
  { 'sidecar.opentelemetry.io/injected': 'observability.sidecar' },
)

export const OTHER_INJECTORS = { istio, linkerd, vault, dapr, consul, kuma, openTelemetry } as const
