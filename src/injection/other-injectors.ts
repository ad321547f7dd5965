// Containers that other sidecar injectors added, told apart by the records those injectors keep on
// the Pod. A mesh proxy or a secrets agent is no part of the app: it gets none of our app mounts,
// its ports are not the app port a proxy may front (Istio's Envoy declares 15090 as
// `http-envoy-prom`, which our inference would read as an HTTP port), and on reinvocation, when
// such an injector ran after us, the container it added does not make our own sidecars look
// unproven for lacking the mounts it never had.
//
// The records, as each injector writes them (read in their sources):
//   Istio       the annotation `sidecar.istio.io/status`, JSON whose `containers` and
//               `initContainers` list what it added (istio/istio pkg/kube/inject/inject.go
//               SidecarInjectionStatus, written by webhook.go getInjectionStatus);
//   Linkerd     the annotation `linkerd.io/proxy-version`, with its `linkerd-proxy` container and
//               `linkerd-init` or, with its CNI plugin, `linkerd-network-validator` init container,
//               and optionally `linkerd-debug` (linkerd/linkerd2 pkg/k8s/labels.go);
//   Vault Agent the annotation `vault.hashicorp.com/agent-inject-status: injected`, with
//               `vault-agent` and `vault-agent-init` (hashicorp/vault-k8s agent-inject/agent);
//   Dapr        the label `dapr.io/sidecar-injected: "true"`, with its `daprd` container (dapr/dapr
//               pkg/injector/consts/consts.go, patcher/sidecar_patcher.go);
//   Consul      `consul.hashicorp.com/connect-inject-status: injected`, with `consul-dataplane` and
//               `consul-connect-inject-init`, each with `-<service>` in multi-port Pods
//               (hashicorp/consul-k8s control-plane/connect-inject);
//   Kuma        `kuma.io/sidecar-injected: "true"`, with `kuma-sidecar`, `kuma-init` and
//               `kuma-validation` (kumahq/kuma pkg/plugins/runtime/k8s);
//   OpenTelemetry's operator: the label `sidecar.opentelemetry.io/injected`, with its
//               `otc-container` (open-telemetry/opentelemetry-operator pkg/sidecar/pod.go).
// AWS App Mesh leaves no record of its own (its `envoy` is not told apart).
// A record is metadata the Pod's author could write too. Trusting it costs nothing we guard: the
// author could as well declare no ports, or have the app write nowhere a sidecar reads, and our
// own sidecars are still proven only as the catalog renders them. One rule keeps it sane: a Pod
// always has an app, so a record that would leave no regular container to the app is not read.
import type { Container, Pod } from './pod.ts'

type Metadata = NonNullable<Pod['metadata']>

interface Injector {
  /** Which of the Pod's container names the Pod's metadata says the injector added. */
  added(metadata: Metadata, names: readonly string[]): readonly string[]
}

const ISTIO_STATUS = 'sidecar.istio.io/status'
// Longer than any real record; a longer one is not parsed (it is read on every review).
const MAX_RECORD = 4096

// Istio's record is a JSON object whose lists hold names. Read defensively: it is any text.
const istio: Injector = {
  added({ annotations = {} }, names) {
    const text = annotations[ISTIO_STATUS]
    if (text === undefined || text.length > MAX_RECORD) return []
    let status: unknown
    try {
      status = JSON.parse(text)
    } catch {
      return []
    }
    if (status === null || typeof status !== 'object') return []
    const { containers, initContainers } = status as Record<string, unknown>
    const listed = new Set([...strings(containers), ...strings(initContainers)])
    return names.filter((name) => listed.has(name))
  },
}

function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : []
}

/** The mark an injector leaves: an annotation or a label, with a value or any. */
interface Mark {
  field: 'annotations' | 'labels'
  key: string
  value?: string
}

// An injector that marks the Pod and adds containers of fixed names; a name ending in `-*` stands
// for that name and any `<name>-<suffix>`.
function marked({ field, key, value }: Mark, added: readonly string[]): Injector {
  const matches = (name: string) =>
    added.some((pattern) =>
      pattern.endsWith('-*')
        ? name === pattern.slice(0, -2) || name.startsWith(pattern.slice(0, -1))
        : name === pattern,
    )
  return {
    added(metadata, names) {
      const found = (metadata[field] as Record<string, unknown> | undefined)?.[key]
      const marks = typeof found === 'string' && (value === undefined || found.trim() === value)
      return marks ? names.filter(matches) : []
    },
  }
}

const annotation = (key: string, value?: string): Mark => ({
  field: 'annotations',
  key,
  ...(value !== undefined && { value }),
})
const label = (key: string, value?: string): Mark => ({
  field: 'labels',
  key,
  ...(value !== undefined && { value }),
})

const INJECTORS: readonly Injector[] = [
  istio,
  marked(annotation('linkerd.io/proxy-version'), [
    'linkerd-proxy',
    'linkerd-init',
    'linkerd-network-validator',
    'linkerd-debug',
  ]),
  marked(annotation('vault.hashicorp.com/agent-inject-status', 'injected'), [
    'vault-agent',
    'vault-agent-init',
  ]),
  marked(label('dapr.io/sidecar-injected', 'true'), ['daprd']),
  marked(annotation('consul.hashicorp.com/connect-inject-status', 'injected'), [
    'consul-dataplane-*',
    'consul-connect-inject-init-*',
  ]),
  marked(annotation('kuma.io/sidecar-injected', 'true'), [
    'kuma-sidecar',
    'kuma-init',
    'kuma-validation',
  ]),
  marked(label('sidecar.opentelemetry.io/injected'), ['otc-container']),
]

/** The Pod's containers (regular or init), by name, that other injectors recorded as theirs. */
export function otherInjectorsContainers(pod: Pod): ReadonlySet<string> {
  const metadata = pod.metadata ?? {}
  const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name)
  return new Set(INJECTORS.flatMap((injector) => injector.added(metadata, names)))
}

/** The Pod's regular containers but those another injector added: the app's and ours. */
export function withoutOtherInjectors(pod: Pod): Container[] {
  const theirs = otherInjectorsContainers(pod)
  const rest = pod.spec.containers.filter((c) => !theirs.has(c.name))
  return rest.length ? rest : pod.spec.containers
}
