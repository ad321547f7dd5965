// What other sidecar injectors add to a Pod, as their sources render it (the records are read in
// src/injection/other-injectors.ts): for tests where one of them runs before or after ours.
import type { Container, Pod } from '../../src/injection/pod.ts'

/** Adds an injector's containers and record to a copy of `pod`. */
export type OtherInjector = (pod: Pod) => Pod

// Istio in classic mode: istio-proxy last among the containers with Envoy's Prometheus port, and
// istio-init (istio/istio manifests/charts/istio-control/istio-discovery/files/injection-template.yaml).
export const istio: OtherInjector = (pod) => {
  const proxy: Container = {
    name: 'istio-proxy',
    image: 'docker.io/istio/proxyv2:1.24.0',
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
  }
  const status = {
    initContainers: ['istio-init'],
    containers: ['istio-proxy'],
    volumes: ['istio-envoy'],
    imagePullSecrets: null,
    revision: 'default',
  }
  return withRecord(
    {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [...pod.spec.containers, proxy],
        initContainers: [
          ...(pod.spec.initContainers ?? []),
          { name: 'istio-init', image: 'docker.io/istio/proxyv2:1.24.0' },
        ],
        volumes: [...(pod.spec.volumes ?? []), { name: 'istio-envoy', emptyDir: {} }],
      },
    },
    'annotations',
    { 'sidecar.istio.io/status': JSON.stringify(status) },
  )
}

// Linkerd in classic mode: linkerd-proxy first among the containers, linkerd-init first among the
// init containers (linkerd/linkerd2 charts/patch/templates/patch.json).
export const linkerd: OtherInjector = (pod) =>
  withRecord(
    {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          {
            name: 'linkerd-proxy',
            image: 'cr.l5d.io/linkerd/proxy:stable-2.14.10',
            ports: [
              { containerPort: 4143, name: 'linkerd-proxy' },
              { containerPort: 4191, name: 'linkerd-admin' },
            ],
          },
          ...pod.spec.containers,
        ],
        initContainers: [
          { name: 'linkerd-init', image: 'cr.l5d.io/linkerd/proxy-init:v2.2.3' },
          ...(pod.spec.initContainers ?? []),
        ],
      },
    },
    'annotations',
    { 'linkerd.io/proxy-version': 'stable-2.14.10' },
  )

// Vault's agent: vault-agent-init first among the init containers, vault-agent last.
export const vault: OtherInjector = (pod) =>
  withRecord(
    {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          ...pod.spec.containers,
          { name: 'vault-agent', image: 'hashicorp/vault:1.18' },
        ],
        initContainers: [
          { name: 'vault-agent-init', image: 'hashicorp/vault:1.18' },
          ...(pod.spec.initContainers ?? []),
        ],
      },
    },
    'annotations',
    { 'vault.hashicorp.com/agent-inject-status': 'injected' },
  )

// Dapr: daprd last among the containers, with its ports, and a label (dapr/dapr pkg/injector).
export const dapr: OtherInjector = (pod) => {
  const daprd: Container = {
    name: 'daprd',
    image: 'ghcr.io/dapr/daprd:1.14.4',
    ports: [
      { containerPort: 3500, name: 'dapr-http' },
      { containerPort: 50001, name: 'dapr-grpc' },
      { containerPort: 50002, name: 'dapr-internal' },
      { containerPort: 9090, name: 'dapr-metrics' },
    ],
  }
  const containers = [...pod.spec.containers, daprd]
  return withRecord({ ...pod, spec: { ...pod.spec, containers } }, 'labels', {
    'dapr.io/sidecar-injected': 'true',
  })
}

// Consul in a multi-port Pod: a dataplane and an init container per service
// (hashicorp/consul-k8s control-plane/connect-inject/webhook).
export const consul: OtherInjector = (pod) =>
  withRecord(
    {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          ...pod.spec.containers,
          { name: 'consul-dataplane-web', image: 'hashicorp/consul-dataplane:1.6' },
          { name: 'consul-dataplane-admin', image: 'hashicorp/consul-dataplane:1.6' },
        ],
        initContainers: [
          ...(pod.spec.initContainers ?? []),
          {
            name: 'consul-connect-inject-init-web',
            image: 'hashicorp/consul-k8s-control-plane:1.6',
          },
        ],
      },
    },
    'annotations',
    { 'consul.hashicorp.com/connect-inject-status': 'injected' },
  )

// Kuma before Kubernetes 1.29: kuma-sidecar first among the containers, kuma-init
// (kumahq/kuma pkg/plugins/runtime/k8s/webhooks/injector).
export const kuma: OtherInjector = (pod) =>
  withRecord(
    {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [
          { name: 'kuma-sidecar', image: 'kumahq/kuma-dp:2.9.0', ports: [{ containerPort: 9901 }] },
          ...pod.spec.containers,
        ],
        initContainers: [
          ...(pod.spec.initContainers ?? []),
          { name: 'kuma-init', image: 'kumahq/kuma-init:2.9.0' },
        ],
      },
    },
    'annotations',
    { 'kuma.io/sidecar-injected': 'true' },
  )

// OpenTelemetry's operator: otc-container last, with the collector's metrics port, and a label
// naming the collector (open-telemetry/opentelemetry-operator pkg/sidecar/pod.go).
export const openTelemetry: OtherInjector = (pod) => {
  const collector: Container = {
    name: 'otc-container',
    image: 'otel/opentelemetry-collector:0.110.0',
    ports: [{ containerPort: 8888, name: 'metrics' }],
  }
  const containers = [...pod.spec.containers, collector]
  return withRecord({ ...pod, spec: { ...pod.spec, containers } }, 'labels', {
    'sidecar.opentelemetry.io/injected': 'observability.sidecar',
  })
}

export const OTHER_INJECTORS = { istio, linkerd, vault, dapr, consul, kuma, openTelemetry } as const

function withRecord(pod: Pod, field: 'annotations' | 'labels', record: Record<string, string>) {
  const metadata = pod.metadata ?? {}
  const present = metadata[field] as Record<string, string> | undefined
  return { ...pod, metadata: { ...metadata, [field]: { ...present, ...record } } }
}
