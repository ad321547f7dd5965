// A Pod CREATE through the API server, as far as admission goes, restated from k8s.io/apiserver:
// 1. the NamespaceLifecycle plugin refuses a namespace that does not exist (404), before any
//    webhook (kubernetes plugin/pkg/admission/namespace/lifecycle, first in the chain);
// 2. pkg/endpoints/handlers/create.go: the request's namespace is written into the object when
//    it has none (rest.EnsureObjectNamespaceMatchesRequestNamespace), a different one is a 400;
// 3. the decoded object is defaulted (pod-defaults.ts);
// 4. the mutating webhooks run, with reinvocation (dispatch.ts);
// 5. pkg/registry/rest/create.go BeforeCreate: a name is made from generateName (names.go
//    SimpleNameGenerator: the prefix cut to 58 characters, then 5 random characters), and the
//    Pod is validated: the rules injection can break, in test/helpers/pod-invariants.ts;
// 6. unless it is a dry run, the Pod is stored.

import type { Status } from '../../../src/admission/types.ts'
import { type Json, podCreate, type UserInfo } from '../../../src/apiserver/attributes.ts'
import type { Labels } from '../../../src/apiserver/label-selector.ts'
import { loadWebhooks, type Webhook } from '../../../src/apiserver/webhooks.ts'
import { podViolations } from '../pod-invariants.ts'
import type { Transport } from './call.ts'
import { type Call, runMutatingChain } from './dispatch.ts'
import { defaultPod } from './pod-defaults.ts'

export interface NamespaceObject {
  name: string
  labels: Readonly<Record<string, string>>
  annotations: Readonly<Record<string, string>>
}

export interface CreateResult {
  /** 201 with the stored (or, on a dry run, would-be) Pod, or the error status. */
  code: number
  pod?: Json
  status?: Status
  warnings: string[]
  calls: Call[]
  failedOpen: string[]
  matchConditionErrors: number
}

export interface ApiServerModel {
  /** Creates or replaces a namespace; every object is new, as a watch delivers it. */
  putNamespace(
    name: string,
    meta?: { labels?: Record<string, string>; annotations?: Record<string, string> },
  ): NamespaceObject
  namespace(name: string): NamespaceObject | undefined
  /** POST /api/v1/namespaces/{namespace}/pods */
  createPod(
    namespace: string,
    body: Json,
    options?: { dryRun?: boolean; user?: UserInfo },
  ): Promise<CreateResult>
  pods(): readonly Json[]
  /** The webhooks in the order they are called. */
  webhooks: readonly Webhook[]
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789'
const CONTROLLER: UserInfo = {
  username: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
}

/** An API server with `configurations` (MutatingWebhookConfigurations) reaching webhooks by `transport`. */
export function apiServerModel(
  configurations: readonly Json[],
  transport: Transport,
): ApiServerModel {
  const namespaces = new Map<string, NamespaceObject>()
  const stored: Json[] = []
  const webhooks = loadWebhooks(configurations)
  const namespaceLabels = (name: string): Labels | null => namespaces.get(name)?.labels ?? null
  const putNamespace: ApiServerModel['putNamespace'] = (name, meta = {}) => {
    // The API server keeps kubernetes.io/metadata.name equal to the name (NamespaceDefaultLabelName).
    const labels = Object.freeze({ ...meta.labels, 'kubernetes.io/metadata.name': name })
    const namespace = Object.freeze({
      name,
      labels,
      annotations: Object.freeze({ ...meta.annotations }),
    })
    namespaces.set(name, namespace)
    return namespace
  }
  return {
    putNamespace,
    namespace: (name) => namespaces.get(name),
    pods: () => stored,
    webhooks,
    async createPod(namespace, body, options = {}) {
      const empty = { warnings: [], calls: [], failedOpen: [], matchConditionErrors: 0 }
      const object = structuredClone(body)
      const refused = namespaceProblem(namespaces, namespace, object)
      if (refused) return { ...empty, code: refused.code, status: refused }
      defaultPod(object)
      const chain = await runMutatingChain(
        { webhooks, transport, namespaceLabels },
        podCreate(namespace, object, {
          userInfo: options.user ?? CONTROLLER,
          ...(options.dryRun && { dryRun: true }),
        }),
      )
      const { outcome, ...report } = chain
      if (!outcome.allowed) return { ...report, code: outcome.status.code, status: outcome.status }
      const pod = outcome.object
      const invalid = beforeCreate(pod)
      if (invalid) return { ...report, code: 422, status: invalid }
      if (!options.dryRun) stored.push(pod)
      return { ...report, code: 201, pod }
    },
  }
}

// NamespaceLifecycle, then create.go's namespace check, which fills an empty one in.
function namespaceProblem(
  namespaces: ReadonlyMap<string, NamespaceObject>,
  namespace: string,
  object: Json,
): Status | undefined {
  if (!namespaces.has(namespace))
    return { code: 404, reason: 'NotFound', message: `namespaces "${namespace}" not found` }
  object.metadata ??= {}
  if ((object.metadata.namespace ?? '') === '') object.metadata.namespace = namespace
  if (object.metadata.namespace === namespace) return undefined
  const message =
    'the namespace of the provided object does not match the namespace sent on the request'
  return { code: 400, reason: 'BadRequest', message }
}

// BeforeCreate: a name from generateName, then validation.
function beforeCreate(pod: Json): Status | undefined {
  if (!pod.metadata.name && pod.metadata.generateName) {
    const suffix = Array.from(
      { length: 5 },
      () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)],
    ).join('')
    pod.metadata.name = `${String(pod.metadata.generateName).slice(0, 58)}${suffix}`
  }
  const violations = [
    ...(pod.metadata.name ? [] : ['metadata.name: name or generateName is required']),
    ...podViolations(pod),
  ]
  if (violations.length === 0) return undefined
  const message = `Pod "${pod.metadata.name ?? ''}" is invalid: ${violations.join('; ')}`
  return { code: 422, reason: 'Invalid', message }
}
