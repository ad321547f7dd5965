// The kinds the fake serves, with the verbs the webhook's code uses, and what the API server checks
// on their writes as far as that code could get it wrong: Secret data keys and base64 values,
// stringData, the keys a kubernetes.io/tls Secret must have, its immutable type; a webhook
// configuration's caBundle.
import type { ServerResponse } from 'node:http'
import {
  badRequest,
  invalid,
  type Route,
  type Status,
  type StatusCause,
} from './fake-apiserver-http.ts'
import { collectionRoutes } from './fake-apiserver-routes.ts'
import {
  Collection,
  NamespacedCollection,
  Revision,
  type StoredObject,
} from './fake-apiserver-store.ts'
import { type Body, type KindRules, writeRoutes } from './fake-apiserver-writes.ts'

export interface Stores {
  namespaces: Collection
  secrets: NamespacedCollection
  webhookConfigurations: Collection
}

/** Empty stores that share one revision, as every key in etcd does. */
export function createStores(): Stores {
  const revision = new Revision()
  return {
    namespaces: new Collection(revision, 'Namespace', 'namespaces'),
    secrets: new NamespacedCollection(revision, 'Secret', 'secrets'),
    webhookConfigurations: new Collection(
      revision,
      'MutatingWebhookConfiguration',
      'mutatingwebhookconfigurations',
    ),
  }
}

/** Every route: get, list and watch of each kind, and the writes each one takes. */
export function routeTable(stores: Stores, watches: Set<ServerResponse>): Route[] {
  const core = { prefix: '/api/v1', apiVersion: 'v1', watches }
  const admission = {
    prefix: '/apis/admissionregistration.k8s.io/v1',
    apiVersion: 'admissionregistration.k8s.io/v1',
    watches,
  }
  const secrets = { ...core, collection: stores.secrets }
  const mwcs = { ...admission, collection: stores.webhookConfigurations }
  return [
    ...collectionRoutes({ ...core, collection: stores.namespaces }),
    ...collectionRoutes(secrets),
    ...writeRoutes({ ...secrets, verbs: ['create', 'update'], rules: secretRules }),
    ...collectionRoutes(mwcs),
    ...writeRoutes({ ...mwcs, verbs: ['patch'], rules: webhookConfigurationRules }),
  ]
}

// Go's encoding/base64 StdEncoding, which decodes []byte fields from JSON: padded, no URL alphabet.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const DATA_KEY = /^[-._a-zA-Z0-9]+$/

export const secretRules: KindRules = {
  // The API server defaults the type to Opaque and folds stringData into data, write-only.
  prepare(object) {
    const { stringData, ...rest } = object
    const data = { ...(rest.data as Record<string, string> | undefined) }
    for (const [key, value] of Object.entries((stringData ?? {}) as Record<string, string>)) {
      data[key] = Buffer.from(value).toString('base64')
    }
    return { ...rest, type: rest.type ?? 'Opaque', data }
  },
  check(object, old) {
    const data = (object.data ?? {}) as Record<string, unknown>
    const notBase64 = Object.entries(data).find(([, v]) => typeof v !== 'string' || !BASE64.test(v))
    if (notBase64)
      return badRequest(
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at data[${notBase64[0]}]`,
      )
    const causes = [...keyProblems(data), ...typeProblems(object, old)]
    return causes.length > 0 ? invalid('Secret', nameOf(object), causes) : undefined
  },
}

function keyProblems(data: Record<string, unknown>): StatusCause[] {
  return Object.keys(data)
    .filter((key) => !DATA_KEY.test(key))
    .map((key) => ({
      reason: 'FieldValueInvalid',
      field: `data[${key}]`,
      message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
    }))
}

function typeProblems(object: Body, old: StoredObject | undefined): StatusCause[] {
  if (old && old.type !== object.type) {
    const message = `Invalid value: "${String(object.type)}": field is immutable`
    return [{ reason: 'FieldValueInvalid', field: 'type', message }]
  }
  if (object.type !== 'kubernetes.io/tls') return []
  const data = (object.data ?? {}) as Record<string, unknown>
  return ['tls.crt', 'tls.key']
    .filter((key) => data[key] === undefined)
    .map((key) => ({
      reason: 'FieldValueRequired',
      field: `data[${key}]`,
      message: 'Required value',
    }))
}

export const webhookConfigurationRules: KindRules = {
  check(object): Status | undefined {
    const webhooks = (object.webhooks ?? []) as { clientConfig?: { caBundle?: unknown } }[]
    const causes = webhooks.flatMap((webhook, index) => {
      const caBundle = webhook.clientConfig?.caBundle
      if (caBundle === undefined || (typeof caBundle === 'string' && BASE64.test(caBundle)))
        return []
      const field = `webhooks[${index}].clientConfig.caBundle`
      return [{ reason: 'FieldValueInvalid', field, message: 'Invalid value: illegal base64 data' }]
    })
    const kind = 'MutatingWebhookConfiguration'
    return causes.length > 0 ? invalid(kind, nameOf(object), causes) : undefined
  },
}

const nameOf = (object: Body) => String(object.metadata?.name ?? '')
