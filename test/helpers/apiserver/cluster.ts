// Our real webhook over HTTPS behind the model of the API server, configured by the rendered
// manifests/ (kubectl kustomize), for scenario tests. Namespaces live in the model; the webhook
// reads the same objects through its NamespaceLookup, as its watch-backed cache would.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { pino } from 'pino'
import type { Test } from 'tap'
import { Agent, request } from 'undici'
import { parseAllDocuments } from 'yaml'
import type { Json } from '../../../src/apiserver/attributes.ts'
import type { Webhook } from '../../../src/apiserver/webhooks.ts'
import type { Catalog } from '../../../src/injection/catalog.ts'
import { watchNamespaces } from '../../../src/kube/namespaces.ts'
import type { FakeApiServer } from '../fake-apiserver.ts'
import { startWebhook } from '../https.ts'
import type { Reply, Transport } from './call.ts'
import { type ApiServerModel, apiServerModel } from './create-pod.ts'

const root = new URL('../../../', import.meta.url).pathname
const rendered = new Map<string, Promise<Json[]>>()

/** Every object `kubectl apply -k <dir>` would create (each dir rendered once per process). */
export function renderManifests(dir = 'manifests'): Promise<Json[]> {
  let objects = rendered.get(dir)
  if (!objects) {
    objects = kustomize(dir).then((yaml) => parseAllDocuments(yaml).map((d) => d.toJS()))
    rendered.set(dir, objects)
  }
  return objects
}

// kubectl is a test requirement (README, "Set-up"); where it is missing, say so and what to
// install rather than fail with `spawn kubectl ENOENT`.
async function kustomize(dir: string): Promise<string> {
  try {
    return (await promisify(execFile)('kubectl', ['kustomize', dir], { cwd: root })).stdout
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new Error(
      'kubectl is needed to render manifests/ (kubectl kustomize) and is not on the PATH; ' +
        'install kubectl 1.27 or later (kustomize v5; tested with 1.32.4)',
      { cause: error },
    )
  }
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
