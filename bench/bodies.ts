// AdmissionReviews as the API server sends them for three Pods of the sizes a webhook sees: a small
// ReplicaSet Pod (~2 KB), a typical production Pod (~10 KB: env, probes, volumes, scheduling,
// managedFields) and a large one (~90 KB: several containers with long env lists, whose
// managedFields repeat every entry, as they do in a real cluster). Every one asks for metrics,
// the 10 KB one for git-sync too, so the webhook really injects. Built deterministically, so
// that runs compare.
import { randomUUID } from 'node:crypto'

/**
 * template: Pods of one template, as a ReplicaSet's scale-up creates them (the same body but for
 * the uid); unique: every Pod different (a label numbers them).
 */
export type Series = 'template' | 'unique'

const UID = '@@uid@@'
const NUMBER = '@@number@@'

/**
 * Makes the texts of `review` in `series`, each with a new uid. The text is cut once where the
 * uid and the Pod's number go, so that making a body costs a string concatenation.
 */
export function reviewTexts(review: Review, series: Series): () => string {
  const marked = structuredClone(review)
  marked.request.uid = UID
  if (series === 'unique') {
    const metadata = marked.request.object.metadata
    metadata.labels = { ...(metadata.labels as object), 'bench.sidecar-patterns/pod': NUMBER }
  }
  const [head = '', rest = ''] = JSON.stringify(marked).split(UID)
  const [middle = '', tail = ''] = rest.split(NUMBER)
  let count = 0
  return series === 'unique'
    ? () => `${head}${randomUUID()}${middle}${++count}${tail}`
    : () => `${head}${randomUUID()}${middle}`
}

export interface BenchBody {
  name: string
  /** What the webhook should inject. */
  sidecars: string[]
  review: Review
}

export interface Review {
  apiVersion: string
  kind: string
  request: { uid: string; object: Pod } & Record<string, unknown>
}

type Json = Record<string, unknown>
interface Pod {
  metadata: Json
  spec: Json & { containers: Json[] }
}

const GVK = { group: '', version: 'v1', kind: 'Pod' }
const GVR = { group: '', version: 'v1', resource: 'pods' }
const HASH = '7d9c6b5f4'

/** The three bodies, smallest first. */
export function benchBodies(): BenchBody[] {
  return [
    { name: 'small', sidecars: ['metrics'], review: review(1, smallPod()) },
    { name: 'typical', sidecars: ['metrics', 'git-sync'], review: review(2, typicalPod()) },
    { name: 'large', sidecars: ['metrics'], review: review(3, largePod()) },
  ]
}

/** The review a ReplicaSet controller's Pod creation produces, with `uid` ending in `n`. */
export function review(n: number, pod: Pod): Review {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `b3f0c1d2-0000-4000-8000-${String(n).padStart(12, '0')}`,
      kind: GVK,
      resource: GVR,
      requestKind: GVK,
      requestResource: GVR,
      name: '',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '5f4c3b2a-1d2e-4f60-8a9b-0c1d2e3f4a5b',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  }
}

function metadata(app: string, annotations: Record<string, string>, fields: Json): Json {
  return {
    generateName: `${app}-${HASH}-`,
    namespace: 'shop',
    labels: { 'app.kubernetes.io/name': app, 'pod-template-hash': HASH },
    annotations,
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: `${app}-${HASH}`,
        uid: '0b6f8e2c-3d4a-4b5c-9d6e-7f8a9b0c1d2e',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
    managedFields: [
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-11-25T08:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: fields,
      },
    ],
  }
}

const serviceAccountVolume = {
  name: 'kube-api-access-x7k2p',
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      {
        downwardAPI: {
          items: [
            { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
          ],
        },
      },
    ],
  },
}
const serviceAccountMount = {
  name: 'kube-api-access-x7k2p',
  mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
  readOnly: true,
}
const podDefaults = {
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  serviceAccountName: 'default',
  serviceAccount: 'default',
  securityContext: {},
  schedulerName: 'default-scheduler',
  enableServiceLinks: true,
  preemptionPolicy: 'PreemptLowerPriority',
  priority: 0,
  tolerations: [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  ].map((t) => ({ ...t, tolerationSeconds: 300 })),
}
const containerDefaults = {
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  imagePullPolicy: 'IfNotPresent',
}

function smallPod(): Pod {
  return {
    metadata: metadata(
      'web',
      { 'patterns/sidecar': 'metrics' },
      {
        'f:metadata': {
          'f:generateName': {},
          'f:labels': { '.': {}, 'f:app.kubernetes.io/name': {} },
        },
      },
    ),
    spec: {
      containers: [
        {
          name: 'web',
          image: 'ghcr.io/example/web:1.4.2',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          volumeMounts: [serviceAccountMount],
          ...containerDefaults,
        },
      ],
      ...podDefaults,
      volumes: [serviceAccountVolume],
    },
  }
}

const probe = (path: string, extra: Json) => ({
  httpGet: { path, port: 'http', scheme: 'HTTP' },
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...extra,
})

/** Environment a service of a real company carries: settings, secrets, and the downward API. */
function env(prefix: string, count: number): Json[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}_SETTING_${String(i).padStart(3, '0')}`
    if (i % 7 === 3)
      return {
        name,
        valueFrom: {
          secretKeyRef: { name: `${prefix.toLowerCase()}-secrets`, key: name.toLowerCase() },
        },
      }
    if (i % 11 === 5)
      return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }
    return {
      name,
      value: `https://${prefix.toLowerCase()}-${i}.internal.example.com:8443/v${i % 4}`,
    }
  })
}

/** What the API server records for those env entries in managedFields. */
function envFields(entries: Json[]): Json {
  const fields: Json = { '.': {} }
  for (const e of entries) {
    const key = `k:{"name":"${String(e.name)}"}`
    fields[key] = {
      '.': {},
      'f:name': {},
      ...(e.value ? { 'f:value': {} } : { 'f:valueFrom': { '.': {} } }),
    }
  }
  return fields
}

function appContainer(name: string, entries: Json[], ports: Json[]): Json {
  return {
    name,
    image: `registry.example.com/shop/${name}:2026.11.3-${HASH}`,
    args: ['--config=/etc/app/config.yaml', '--log-format=json', '--shutdown-grace=20s'],
    ports,
    envFrom: [{ configMapRef: { name: `${name}-env` } }],
    env: entries,
    resources: {
      requests: { cpu: '500m', memory: '768Mi' },
      limits: { cpu: '2', memory: '1536Mi' },
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'tls', mountPath: '/etc/tls', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      serviceAccountMount,
    ],
    livenessProbe: probe('/livez', { periodSeconds: 10, initialDelaySeconds: 5 }),
    readinessProbe: probe('/readyz', { periodSeconds: 5 }),
    startupProbe: probe('/livez', { periodSeconds: 2, failureThreshold: 60 }),
    lifecycle: { preStop: { exec: { command: ['/bin/sleep', '5'] } } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    ...containerDefaults,
  }
}

function scheduling(app: string): Json {
  const selector = { matchLabels: { 'app.kubernetes.io/name': app } }
  return {
    nodeSelector: { 'kubernetes.io/os': 'linux', 'node.example.com/pool': 'general' },
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' },
          },
        ],
      },
    },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: selector,
      },
    ],
    imagePullSecrets: [{ name: 'registry-example-com' }],
    priorityClassName: 'shop-critical',
  }
}

function appVolumes(app: string): Json[] {
  return [
    { name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } },
    { name: 'tls', secret: { secretName: `${app}-tls`, defaultMode: 288 } },
    { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    serviceAccountVolume,
  ]
}

const teamAnnotations = (app: string) => ({
  'app.example.com/owner': 'team-checkout',
  'app.example.com/runbook': `https://runbooks.example.com/shop/${app}`,
  'checksum/config': '9f2c1e7b4a6d8c0e2f4a6b8d0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0a2b4d6c8e',
  'kubectl.kubernetes.io/restartedAt': '2026-11-25T07:58:12Z',
  'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true',
})

function typicalPod(): Pod {
  const entries = env('CHECKOUT', 24)
  const ports = [
    { name: 'http', containerPort: 8080, protocol: 'TCP' },
    { name: 'grpc', containerPort: 9000, protocol: 'TCP' },
  ]
  // An init container that runs to completion: no probes, no lifecycle hooks, no ports.
  const {
    livenessProbe,
    readinessProbe,
    startupProbe,
    lifecycle,
    ports: _,
    ...job
  } = appContainer('migrate', entries.slice(0, 6), [])
  const migrate = { ...job, args: ['migrate', 'up'] }
  return {
    metadata: metadata(
      'checkout',
      {
        ...teamAnnotations('checkout'),
        'patterns/sidecar': 'metrics, git-sync',
        'patterns/git-sync.repo': 'https://github.com/example/checkout-content.git',
        'patterns/git-sync.ref': 'main',
        'patterns/git-sync.reload-url': 'http://localhost:8080/-/reload',
      },
      {
        'f:spec': { 'f:containers': { 'k:{"name":"checkout"}': { 'f:env': envFields(entries) } } },
      },
    ),
    spec: {
      initContainers: [migrate],
      containers: [appContainer('checkout', entries, ports)],
      ...podDefaults,
      ...scheduling('checkout'),
      volumes: appVolumes('checkout'),
    },
  }
}

function largePod(): Pod {
  const names = ['storefront', 'renderer', 'cache-warmer', 'search-indexer']
  const entries = names.map((name) => env(name.toUpperCase().replace('-', '_'), 112))
  const containers = names.map((name, i) =>
    appContainer(
      name,
      entries[i] ?? [],
      i === 0
        ? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]
        : [{ name: `admin-${i}`, containerPort: 9100 + i, protocol: 'TCP' }],
    ),
  )
  const fields = Object.fromEntries(
    names.map((name, i) => [`k:{"name":"${name}"}`, { 'f:env': envFields(entries[i] ?? []) }]),
  )
  return {
    metadata: metadata(
      'storefront',
      { ...teamAnnotations('storefront'), 'patterns/sidecar': 'metrics' },
      { 'f:spec': { 'f:containers': fields } },
    ),
    spec: {
      containers,
      ...podDefaults,
      ...scheduling('storefront'),
      volumes: appVolumes('storefront'),
    },
  }
}
