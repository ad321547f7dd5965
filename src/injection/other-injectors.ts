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
//               pkg/injector/consts/consts.go, patcher/sidecar_patcher.go).
// A record is metadata the Pod's author could write too. Trusting it costs nothing we guard: the
// author could as well declare no ports, and our own sidecars are still proven only as the
// catalog renders them. One rule keeps it sane: a Pod always has an app, so a record that would
// leave no regular container to the app is not read.
import type { Container, Pod } from './pod.ts'

type Metadata = NonNullable<Pod['metadata']>

interface Injector {
  /** The containers and init containers the Pod's metadata says the injector added. */
  added(metadata: Metadata): readonly string[]
}

const ISTIO_STATUS = 'sidecar.istio.io/status'
// Longer than any real record; a longer one is not parsed (it is read on every review).
const MAX_RECORD = 4096

// Istio's record is a JSON object whose lists hold names. Read defensively: it is any text.
function istio({ annotations = {} }: Metadata): string[] {
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
  return [...names(containers), ...names(initContainers)]
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : []
}

// An injector that marks the Pod with an annotation or a label and adds containers of fixed
// names; `value` undefined: any value marks it.
function marked(
  field: 'annotations' | 'labels',
  key: string,
  value: string | undefined,
  added: readonly string[],
): Injector {
  return {
    added(metadata) {
      const found = (metadata[field] as Record<string, unknown> | undefined)?.[key]
      const marks = typeof found === 'string' && (value === undefined || found.trim() === value)
      return marks ? added : []
    },
  }
}

const INJECTORS: readonly Injector[] = [
  { added: istio },
  marked('annotations', 'linkerd.io/proxy-version', undefined, [
    'linkerd-proxy',
    'linkerd-init',
    'linkerd-network-validator',
    'linkerd-debug',
  ]),
  marked('annotations', 'vault.hashicorp.com/agent-inject-status', 'injected', [
    'vault-agent',
    'vault-agent-init',
  ]),
  marked('labels', 'dapr.io/sidecar-injected', 'true', ['daprd']),
]

/** The names of the containers (regular or init) other injectors recorded as theirs. */
export function otherInjectorsContainers(pod: Pod): ReadonlySet<string> {
  const metadata = pod.metadata ?? {}
  return new Set(INJECTORS.flatMap((injector) => injector.added(metadata)))
}

/** The Pod's regular containers but those another injector added: the app's and ours. */
export function withoutOtherInjectors(pod: Pod): Container[] {
  const theirs = otherInjectorsContainers(pod)
  const rest = pod.spec.containers.filter((c) => !theirs.has(c.name))
  return rest.length ? rest : pod.spec.containers
}
