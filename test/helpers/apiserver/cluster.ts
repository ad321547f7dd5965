// Our real webhook over HTTPS behind the model of the API server, configured by the rendered
// manifests/ (kubectl kustomize), for scenario tests. Namespaces live in the model; the webhook
// reads the same objects through its NamespaceLookup, as its watch-backed cache would.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { pino } from 'pino'
import type { Test } from 'tap'
import { Agent, request } from 'undici'
import { parseAllDocuments } from 'yaml'
import type { Catalog } from '../../../src/injection/catalog.ts'
import { watchNamespaces } from '../../../src/kube/namespaces.ts'
import type { FakeApiServer } from '../fake-apiserver.ts'
import { startWebhook } from '../https.ts'
import type { Json } from './attributes.ts'
import type { Reply, Transport } from './call.ts'
import { type ApiServerModel, apiServerModel } from './create-pod.ts'
import type { Webhook } from './webhooks.ts'

const root = new URL('../../../', import.meta.url).pathname
let rendered: Promise<Json[]> | undefined

/** Every object `kubectl apply -k manifests/` would create (rendered once per process). */
export function renderManifests(): Promise<Json[]> {
  rendered ??= promisify(execFile)('kubectl', ['kustomize', 'manifests'], { cwd: root }).then(
    ({ stdout }) => parseAllDocuments(stdout).map((d) => d.toJS()),
  )
  return rendered
}

/** The MutatingWebhookConfigurations among the rendered manifests. */
export async function renderedWebhookConfigurations(): Promise<Json[]> {
  return (await renderManifests()).filter((o) => o.kind === 'MutatingWebhookConfiguration')
}

/** Answers a review in-process, as another party's webhook would. */
export type InProcessWebhook = (review: Json) => Json

export interface ClusterOptions {
  catalog?: () => Catalog
  /** More configurations, each answered in-process by `handlers[configuration name]`. */
  others?: { configuration: Json; handler: InProcessWebhook }[]
  /** Replaces the rendered configurations (to test the model against other ones). */
  configurations?: Json[]
  /** Set to make our webhook unreachable, as when every replica is down. */
  down?: () => boolean
  /**
   * Namespaces also written to this fake Kubernetes API, which the webhook then reads through
   * its real watch-backed cache (and so may see a change later than the API server does).
   */
  rest?: FakeApiServer
}

export interface ModelCluster {
  api: ApiServerModel
  origin: string
}

/** Starts our webhook and an API server model that calls it, for the duration of `t`. */
export async function modelCluster(t: Test, options: ClusterOptions = {}): Promise<ModelCluster> {
  let api: ApiServerModel | undefined
  const watcher =
    options.rest && watchNamespaces(options.rest.kubeConfig(), pino({ level: 'silent' }))
  if (watcher) {
    t.teardown(() => watcher.stop())
    await watcher.start()
  }
  const webhook = await startWebhook(t, {
    ...(options.catalog && { catalog: options.catalog }),
    namespaces: watcher?.lookup ?? { get: async (name) => api?.namespace(name) },
  })
  // The API server dials the Service and checks the certificate against its DNS name.
  const agent = new Agent({
    connect: { ca: webhook.ca, servername: 'sidecar-patterns.sidecar-patterns.svc' },
  })
  t.teardown(() => agent.close())
  const handlers = new Map(
    (options.others ?? []).map((o) => [o.configuration.metadata.name, o.handler]),
  )
  const transport: Transport = async (hook: Webhook, review, signal): Promise<Reply> => {
    const handler = handlers.get(hook.configuration)
    if (handler) return { status: 200, body: JSON.stringify(handler(review)) }
    const service = hook.clientConfig?.service
    if (service?.name !== 'sidecar-patterns' || service.namespace !== 'sidecar-patterns')
      throw new Error(`no endpoints for service ${service?.namespace}/${service?.name}`)
    if (options.down?.()) throw new Error('connect: connection refused')
    const res = await request(`${webhook.origin}${service.path ?? '/'}`, {
      method: 'POST',
      body: JSON.stringify(review),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      dispatcher: agent,
      signal,
    })
    return { status: res.statusCode, body: await res.body.text() }
  }
  const configurations = options.configurations ?? (await renderedWebhookConfigurations())
  api = apiServerModel(
    [...configurations, ...(options.others ?? []).map((o) => o.configuration)],
    transport,
  )
  return { api: options.rest ? writingThrough(api, options.rest) : api, origin: webhook.origin }
}

// Every namespace the model stores is created or updated in the fake REST API as well.
function writingThrough(api: ApiServerModel, rest: FakeApiServer): ApiServerModel {
  return {
    ...api,
    putNamespace(name, meta = {}) {
      if (api.namespace(name)) rest.updateNamespace(name, meta)
      else rest.createNamespace(name, meta)
      return api.putNamespace(name, meta)
    },
  }
}
