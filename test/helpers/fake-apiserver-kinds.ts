// The kinds the fake serves, with the verbs the project's code uses, and what the API server
// checks on their writes as far as that code could get it wrong: Secret data keys and base64
// values, stringData, the keys a kubernetes.io/tls Secret must have, its immutable type
// (kubernetes pkg/apis/core/validation ValidateSecret, ValidateSecretUpdate); a webhook
// configuration's caBundle, a []byte that must decode.
import type { OpenWatch } from './fake-apiserver-api.ts'
import { base64Corruption } from './fake-apiserver-base64.ts'
import type { Body, KindRules } from './fake-apiserver-checks.ts'
import type { Route } from './fake-apiserver-http.ts'
import { goJsonType } from './fake-apiserver-patch.ts'
import { collectionRoutes } from './fake-apiserver-routes.ts'
import { cause, type StatusCause } from './fake-apiserver-status.ts'
import {
  Collection,
  NamespacedCollection,
  Revision,
  type StoredObject,
} from './fake-apiserver-store.ts'
import { writeRoutes } from './fake-apiserver-writes.ts'

/** The namespaced kinds that hold or make Pods, by resource name, with their API group. */
export const POD_KINDS = {
  pods: { kind: 'Pod', group: 'core' },
  deployments: { kind: 'Deployment', group: 'apps' },
  statefulsets: { kind: 'StatefulSet', group: 'apps' },
  daemonsets: { kind: 'DaemonSet', group: 'apps' },
  replicasets: { kind: 'ReplicaSet', group: 'apps' },
  jobs: { kind: 'Job', group: 'batch' },
  cronjobs: { kind: 'CronJob', group: 'batch' },
} as const

export type PodKind = keyof typeof POD_KINDS

// What `kubectl rollout restart` patches (k8s.io/kubectl pkg/polymorphichelpers
// objectrestarter.go): Deployments, StatefulSets and DaemonSets.
const PATCHED: readonly PodKind[] = ['deployments', 'statefulsets', 'daemonsets']

export interface Stores {
  /** Shared by every collection, as etcd's revision is shared by every key. */
  revision: Revision
  namespaces: Collection
  secrets: NamespacedCollection
  webhookConfigurations: Collection
  /** Pods and the workloads that make them (Deployments among them: `check` reads those too). */
  podKinds: Record<PodKind, NamespacedCollection>
  /** Read-only kinds that `sidecar-patterns check` reads; tests store them directly. */
  configMaps: NamespacedCollection
  services: NamespacedCollection
  endpointSlices: NamespacedCollection
  admissionPolicies: Collection
  admissionPolicyBindings: Collection
}

/** Empty stores that share one revision. */
export function createStores(): Stores {
  const revision = new Revision()
  return {
    revision,
    namespaces: new Collection(revision, 'Namespace', 'namespaces'),
    secrets: new NamespacedCollection(revision, 'Secret', 'secrets'),
    webhookConfigurations: new Collection(
      revision,
      'MutatingWebhookConfiguration',
      'mutatingwebhookconfigurations',
    ),
    podKinds: Object.fromEntries(
      Object.entries(POD_KINDS).map(([plural, { kind }]) => [
        plural,
        new NamespacedCollection(revision, kind, plural),
      ]),
    ) as Record<PodKind, NamespacedCollection>,
    configMaps: new NamespacedCollection(revision, 'ConfigMap', 'configmaps'),
    services: new NamespacedCollection(revision, 'Service', 'services'),
    endpointSlices: new NamespacedCollection(revision, 'EndpointSlice', 'endpointslices'),
    admissionPolicies: new Collection(
      revision,
      'ValidatingAdmissionPolicy',
      'validatingadmissionpolicies',
    ),
    admissionPolicyBindings: new Collection(
      revision,
      'ValidatingAdmissionPolicyBinding',
      'validatingadmissionpolicybindings',
    ),
  }
}

const GROUPS = {
  core: { prefix: '/api/v1', apiVersion: 'v1' },
  apps: { prefix: '/apis/apps/v1', apiVersion: 'apps/v1' },
  batch: { prefix: '/apis/batch/v1', apiVersion: 'batch/v1' },
} as const

// Pods and their workloads: read (get, list, watch); the workloads a rollout restart patches,
// patched too. Their strategies allow unconditional updates (pkg/registry/apps/*/strategy.go).
function podKindRoutes(stores: Stores, watches: Set<OpenWatch>): Route[] {
  return (Object.keys(POD_KINDS) as PodKind[]).flatMap((plural) => {
    const api = { ...GROUPS[POD_KINDS[plural].group], watches, collection: stores.podKinds[plural] }
    const rules: KindRules = { unconditionalUpdate: true }
    return [
      ...collectionRoutes(api),
      ...(PATCHED.includes(plural) ? writeRoutes({ ...api, verbs: ['patch'], rules }) : []),
    ]
  })
}

/** Every route: get, list and watch of each kind, and the writes each one takes. */
export function routeTable(stores: Stores, watches: Set<OpenWatch>): Route[] {
  const core = { prefix: '/api/v1', apiVersion: 'v1', watches }
  const group = (name: string, version: string) => ({
    prefix: `/apis/${name}/${version}`,
    apiVersion: `${name}/${version}`,
    watches,
  })
  const admission = group('admissionregistration.k8s.io', 'v1')
  const namespaces = { ...core, collection: stores.namespaces, empty: { spec: {}, status: {} } }
  const secrets = { ...core, collection: stores.secrets }
  const mwcs = { ...admission, collection: stores.webhookConfigurations }
  return [
    ...collectionRoutes(namespaces),
    ...collectionRoutes(secrets),
    ...writeRoutes({ ...secrets, verbs: ['create', 'update'], rules: secretRules }),
    ...collectionRoutes(mwcs),
    ...writeRoutes({ ...mwcs, verbs: ['patch'], rules: webhookConfigurationRules }),
    ...podKindRoutes(stores, watches),
    ...collectionRoutes({ ...core, collection: stores.configMaps }),
    ...collectionRoutes({ ...core, collection: stores.services }),
    ...collectionRoutes({ ...group('discovery.k8s.io', 'v1'), collection: stores.endpointSlices }),
    ...collectionRoutes({ ...admission, collection: stores.admissionPolicies }),
    ...collectionRoutes({ ...admission, collection: stores.admissionPolicyBindings }),
  ]
}

/** Go's error for a []byte field's JSON value (`path` as encoding/json names the field). */
function bytesError(value: unknown, path: string): string | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string') {
    return `json: cannot unmarshal ${goJsonType(value)} into Go struct field ${path} of type []uint8`
  }
  const at = base64Corruption(value)
  return at === undefined ? undefined : `illegal base64 data at input byte ${at}`
}

// IsConfigMapKey (k8s.io/apimachinery pkg/util/validation/validation.go), with RegexError's words.
const DATA_KEY = /^[-._a-zA-Z0-9]+$/
const DATA_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"

export const secretRules: KindRules = {
  // The first value the decoder fails on, in the order of the JSON text.
  decode(object) {
    const data = (object.data ?? {}) as Record<string, unknown>
    for (const value of Object.values(data)) {
      const error = bytesError(value, 'Secret.data')
      if (error) return error
    }
    return undefined
  },
  // Defaulting makes the type Opaque; the registry folds stringData into data, write-only.
  prepare(object) {
    const { stringData, ...rest } = object
    const data = { ...(rest.data as Record<string, string> | undefined) }
    for (const [key, value] of Object.entries((stringData ?? {}) as Record<string, string>)) {
      data[key] = Buffer.from(value).toString('base64')
    }
    return { ...rest, type: rest.type ?? 'Opaque', data }
  },
  // ValidateSecretUpdate checks the immutable type before ValidateSecret's keys and type rules.
  check(object, old) {
    const data = (object.data ?? {}) as Record<string, unknown>
    return [...immutableType(object, old), ...keyProblems(data), ...tlsProblems(object, data)]
  },
  unconditionalUpdate: true,
}

function immutableType(object: Body, old: StoredObject | undefined): StatusCause[] {
  if (!old || old.type === object.type) return []
  const message = `Invalid value: "${String(object.type)}": field is immutable`
  return [cause('FieldValueInvalid', 'type', message)]
}

function keyProblems(data: Record<string, unknown>): StatusCause[] {
  return Object.keys(data).flatMap((key) =>
    keyMessages(key).map((message) =>
      cause('FieldValueInvalid', `data[${key}]`, `Invalid value: "${key}": ${message}`),
    ),
  )
}

function keyMessages(key: string): string[] {
  const messages: string[] = []
  if (key.length > 253) messages.push('must be no more than 253 characters')
  if (!DATA_KEY.test(key)) messages.push(DATA_KEY_MESSAGE)
  // hasChDirPrefix.
  if (key === '.') messages.push("must not be '.'")
  else if (key === '..') messages.push("must not be '..'")
  else if (key.startsWith('..')) messages.push("must not start with '..'")
  return messages
}

function tlsProblems(object: Body, data: Record<string, unknown>): StatusCause[] {
  if (object.type !== 'kubernetes.io/tls') return []
  return ['tls.crt', 'tls.key']
    .filter((key) => data[key] === undefined)
    .map((key) => cause('FieldValueRequired', `data[${key}]`, 'Required value'))
}

export const webhookConfigurationRules: KindRules = {
  decode(object) {
    const webhooks = (object.webhooks ?? []) as { clientConfig?: { caBundle?: unknown } }[]
    for (const webhook of webhooks) {
      const path = 'WebhookClientConfig.webhooks.clientConfig.caBundle'
      const error = bytesError(webhook.clientConfig?.caBundle, path)
      if (error) return error
    }
    return undefined
  },
  unconditionalUpdate: false,
}
