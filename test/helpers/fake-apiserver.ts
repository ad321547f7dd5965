// A small, honest fake of the Kubernetes API over real TLS on 127.0.0.1: the REST paths, status
// codes and JSON bodies of the real API server (k8s.io/apiserver, each rule citing its source),
// bearer-token authentication, resourceVersions, watches that replay history, send bookmarks or
// answer 410 Expired, and knobs for tests (drop watches, compact, bookmark, fail, run another
// client's writes in the middle of a request). It serves namespaces (get, list, watch), Secrets
// (get, list, watch, create, update), MutatingWebhookConfigurations (get, list, watch, patch),
// Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs (get, list, watch;
// patch for the three a rollout restart patches), ConfigMaps, Services, EndpointSlices,
// ValidatingAdmissionPolicies and their bindings (get, list: what `check` reads), and
// GET /version (what `version` and `check` read); lists take labelSelector, limit and continue.
// On those paths, a verb, query parameter or body format the real server takes and the fake does
// not is a 501, which the real server never answers; other resources are unknown, as a 404.
import { mkdtemp, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import type { Test } from 'tap'
import { loadOrCreate, serviceNames } from '../../src/tls/certificates.ts'
import type { OpenWatch } from './fake-apiserver-api.ts'
import { dispatch, type Route, sendStatus } from './fake-apiserver-http.ts'
import { createStores, type PodKind, routeTable, type Stores } from './fake-apiserver-kinds.ts'
import { internalError, status } from './fake-apiserver-status.ts'
import type { NamespacedCollection, StoredObject } from './fake-apiserver-store.ts'
import { DEFAULT_VERSION, type VersionInfo, versionRoute } from './fake-apiserver-version.ts'

export interface RecordedRequest {
  method: string
  path: string
  query: Readonly<Record<string, string>>
  /** The request's Content-Type, when it has one. */
  contentType?: string
  /** The status code of the answer, once it is sent. */
  status?: number
}

/** An object as a test writes it: its fields besides metadata, plus labels and annotations. */
export interface ObjectBody {
  labels?: Record<string, string>
  annotations?: Record<string, string>
  [field: string]: unknown
}

/** A Pod or workload as a test writes it: metadata fields beyond the name, and the rest. */
export interface WorkloadBody {
  metadata?: {
    labels?: Record<string, string>
    annotations?: Record<string, string>
    ownerReferences?: OwnerReference[]
  }
  [field: string]: unknown
}

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface NamespaceMeta {
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export interface FakeApiServer {
  /** https://127.0.0.1:{port} */
  url: string
  /** PEM of the CA that signed the serving certificate. */
  ca: string
  token: string
  createNamespace(name: string, meta?: NamespaceMeta): StoredObject
  /** Replaces the namespace's labels and annotations (the name label stays, as the API server
   *  enforces it). */
  updateNamespace(name: string, meta: NamespaceMeta): StoredObject
  deleteNamespace(name: string): StoredObject
  /** The stored Secret, or undefined. */
  secret(namespace: string, name: string): StoredObject | undefined
  /** Stores a Secret as another client would create it (type, data...), without validation. */
  createSecret(namespace: string, name: string, body: ObjectBody): StoredObject
  /** Replaces a Secret as another client's PUT would: a new resourceVersion. */
  replaceSecret(namespace: string, name: string, body: ObjectBody): StoredObject
  /** Stores a MutatingWebhookConfiguration (webhooks...), as `kubectl apply` would create it. */
  createMutatingWebhookConfiguration(name: string, body: ObjectBody): StoredObject
  mutatingWebhookConfiguration(name: string): StoredObject | undefined
  /** Replaces it as another client would (`kubectl apply` resetting the caBundle, say). */
  replaceMutatingWebhookConfiguration(name: string, body: ObjectBody): StoredObject
  /** Stores a Pod or a workload (spec, status, ownerReferences in `metadata`...) as its
   *  controller or `kubectl apply` would have created it, without validation. */
  create(plural: PodKind, namespace: string, name: string, body: WorkloadBody): StoredObject
  /** The stored Pod or workload, or undefined. */
  get(plural: PodKind, namespace: string, name: string): StoredObject | undefined
  /** Stores an object of a kind the fake only reads (a ConfigMap, a Deployment with its status,
   *  an EndpointSlice...), as the API server holds it once other clients and controllers wrote it. */
  createObject(kind: ReadOnlyKind, namespace: string, name: string, body: ObjectBody): StoredObject
  /** The same for a cluster-scoped kind the fake only reads. */
  createClusterObject(kind: ReadOnlyClusterKind, name: string, body: ObjectBody): StoredObject
  /** What GET /version answers from now on. */
  setVersion(version: VersionInfo): void
  /**
   * Runs `action` once, just before the next authorized `method` request for `path` is handled;
   * the request waits for it. Races become deterministic: another replica's create between this
   * one's GET and POST, another write between a GET and a PUT.
   */
  beforeNext(method: string, path: string, action: () => unknown): void
  /** Every request received so far, authorized or not, in order. */
  requests(): readonly RecordedRequest[]
  /** Ends every open watch stream (as an API server restart or timeout does), or with
   *  `abruptly` resets their connections; returns how many there were. */
  dropWatches(options?: { abruptly?: boolean }): number
  /** Sends a BOOKMARK at the current resourceVersion to every open watch that asked for them
   *  (allowWatchBookmarks) and started before it, as the watch cache does about once a minute;
   *  returns how many were sent. */
  sendBookmarks(): number
  /** Forgets the change history of every resource, as etcd compaction does, so a watch from any
   *  resourceVersion seen so far gets 410 Expired. */
  compact(): void
  /** Answers the next `count` authorized requests with 500 InternalError. */
  failNext(count: number): void
  /** A client-node configuration that trusts this server; `token` overrides the good one. */
  kubeConfig(options?: { token?: string }): KubeConfig
  close(): Promise<void>
}

const NAME_LABEL = 'kubernetes.io/metadata.name'

/** The kinds the fake serves for reading only (get, list). */
export type ReadOnlyKind = 'configMaps' | 'services' | 'deployments' | 'endpointSlices'
export type ReadOnlyClusterKind = 'admissionPolicies' | 'admissionPolicyBindings'

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeApiServer(): Promise<FakeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-apiserver-'))
  const { certificate } = await loadOrCreate(dir, serviceNames('kubernetes', 'default'))
  const ca = certificate.ca ?? ''
  const stores = createStores()
  const { namespaces, secrets, webhookConfigurations: mwcs } = stores
  const watches = new Set<OpenWatch>()
  let version = DEFAULT_VERSION
  const door: FrontDoor = {
    token: `fake-${crypto.randomUUID()}`,
    routes: [...routeTable(stores, watches), versionRoute(() => version)],
    log: [],
    failures: 0,
    hooks: [],
  }
  const tls = { cert: certificate.cert, key: certificate.key }
  const server = createServer(tls, (req, res) => enter(door, req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    ca,
    token: door.token,
    createNamespace: (name, meta = {}) => namespaces.create(name, namespaceInput(name, meta)),
    updateNamespace: (name, meta) => namespaces.update(name, namespaceInput(name, meta)),
    deleteNamespace: (name) => namespaces.delete(name),
    secret: (namespace, name) => secrets.in(namespace).get(name),
    createSecret: (namespace, name, body) => secrets.in(namespace).create(name, input(body)),
    replaceSecret: (namespace, name, body) => secrets.in(namespace).replace(name, input(body)),
    createMutatingWebhookConfiguration: (name, body) => mwcs.create(name, input(body)),
    mutatingWebhookConfiguration: (name) => mwcs.get(name),
    replaceMutatingWebhookConfiguration: (name, body) => mwcs.replace(name, input(body)),
    create: (plural, namespace, name, body) =>
      stores.podKinds[plural].in(namespace).create(name, workloadInput(body)),
    get: (plural, namespace, name) => stores.podKinds[plural].in(namespace).get(name),
    createObject: (kind, namespace, name, body) =>
      readOnly(stores, kind).in(namespace).create(name, input(body)),
    createClusterObject: (kind, name, body) => stores[kind].create(name, input(body)),
    setVersion: (next) => {
      version = next
    },
    beforeNext: (method, path, action) => door.hooks.push({ method, path, action }),
    requests: () => [...door.log],
    dropWatches: (options = {}) => closeWatches(watches, options.abruptly ?? false),
    sendBookmarks: () => [...watches].filter((open) => open.bookmark()).length,
    compact: () => stores.revision.compact(),
    failNext: (count) => {
      door.failures = count
    },
    kubeConfig: (options = {}) => kubeConfigFor(url, ca, options.token ?? door.token),
    close: async () => {
      closeWatches(watches, false)
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Starts the fake for the length of `t`: it is closed when `t` ends. */
export async function fakeApiServerFor(t: Test): Promise<FakeApiServer> {
  const fake = await startFakeApiServer()
  t.teardown(() => fake.close())
  return fake
}

interface Hook {
  method: string
  path: string
  action: () => unknown
}

interface FrontDoor {
  token: string
  routes: readonly Route[]
  log: RecordedRequest[]
  /** How many of the next authorized requests fail with 500. */
  failures: number
  hooks: Hook[]
}

/** Every request: recorded, then authenticated, then maybe failed on purpose, then routed. */
function enter(door: FrontDoor, req: IncomingMessage, res: ServerResponse): void {
  const record = recorded(req)
  door.log.push(record)
  res.once('finish', () => {
    record.status = res.statusCode
  })
  // The authentication filter answers errors.NewUnauthorized("Unauthorized") (k8s.io/apiserver
  // pkg/endpoints/filters/authentication.go).
  if (req.headers.authorization !== `Bearer ${door.token}`) {
    sendStatus(res, status(401, 'Unauthorized', 'Unauthorized'))
  } else if (door.failures > 0) {
    door.failures -= 1
    sendStatus(res, internalError('injected by the test'))
  } else {
    route(door, req, res)
  }
}

/** Routes the request, after the test's action for it if there is one. */
function route(door: FrontDoor, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'https://fake').pathname
  const index = door.hooks.findIndex((h) => h.method === req.method && h.path === path)
  const [hook] = index === -1 ? [] : door.hooks.splice(index, 1)
  // Without a hook the request is routed in this turn, so a watch is subscribed as soon as it is
  // recorded (tests rely on that).
  if (!hook) {
    dispatch(door.routes, req, res)
    return
  }
  Promise.resolve()
    .then(hook.action)
    .then(
      () => dispatch(door.routes, req, res),
      (error: unknown) => sendStatus(res, internalError(String(error))),
    )
}

function closeWatches(watches: Set<OpenWatch>, abruptly: boolean): number {
  const open = [...watches]
  watches.clear()
  for (const { response } of open) {
    if (abruptly) response.socket?.destroy()
    else response.end()
  }
  return open.length
}

function recorded(req: IncomingMessage): RecordedRequest {
  const url = new URL(req.url ?? '/', 'https://fake')
  const contentType = req.headers['content-type']
  return {
    method: req.method ?? '',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    ...(contentType !== undefined && { contentType }),
  }
}

function readOnly(stores: Stores, kind: ReadOnlyKind): NamespacedCollection {
  return kind === 'deployments' ? stores.podKinds.deployments : stores[kind]
}

function input({ labels = {}, annotations = {}, ...body }: ObjectBody) {
  return { labels, annotations, body }
}

// Owner references are metadata the store does not make itself: kept through the body.
function workloadInput({ metadata = {}, ...body }: WorkloadBody) {
  const { labels = {}, annotations = {}, ownerReferences } = metadata
  return { labels, annotations, body, ...(ownerReferences && { ownerReferences }) }
}

// What the API server stores for a new namespace: the immutable name label (Kubernetes 1.21+),
// the "kubernetes" finalizer and the Active phase.
function namespaceInput(name: string, meta: NamespaceMeta) {
  return {
    labels: { ...meta.labels, [NAME_LABEL]: name },
    annotations: meta.annotations ?? {},
    body: { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  }
}

function kubeConfigFor(server: string, ca: string, token: string): KubeConfig {
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'fake', server, caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'fake', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  })
  return kubeConfig
}
