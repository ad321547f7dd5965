// fast-check generators of Pod creation reviews for tests through the server: any mix of app
// containers, plain init containers and native sidecars already present, volumes and mounts,
// ports, extra fields the webhook must keep (env, probes, resources), annotations with keys that
// need escaping in a JSON pointer, and fields left out (metadata, namespace, ports, mounts,
// volumes, init containers). Sidecar requests mostly valid, sometimes not, for the test catalog
// (test/fixtures/catalog.yaml). Every generated Pod keeps the rules pod-invariants.ts checks
// (unique names, ports and mount paths, mounts of existing volumes), so a rule broken after the
// patch is one that injection broke; annotation keys are free-form on purpose.
import fc from 'fast-check'
import type { Container, ContainerPort, Pod, Volume, VolumeMount } from '../../src/injection/pod.ts'

export interface PodReview {
  apiVersion: 'admission.k8s.io/v1'
  kind: 'AdmissionReview'
  request: { uid: string; namespace?: string; object: Pod } & Record<string, unknown>
}

/** Namespaces the tests know (test/fixtures/namespaces) and one they do not. */
export const NAMESPACES = ['shop', 'batch', 'media', 'payments', 'elsewhere'] as const

// Names a sidecar would claim come up often, so that the suffixing of names is exercised.
const CLAIMED = ['patterns-metrics', 'patterns-auth', 'patterns-git-sync', 'patterns-log-shipper']
const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,8}[a-z0-9])?$/)
const containerName = fc.oneof(label, fc.constantFrom(...CLAIMED, 'patterns-git-sync-init', 'web'))
const volumeName = fc.oneof(label, fc.constantFrom('patterns-git-sync', 'logs', 'logs-2'))
const mountPath = fc.constantFrom('/git', '/data', '/logs', '/var/log/app', '/etc/config')

// Ports near the sidecars' defaults (4180, 15080, 15091, 15095) and Istio's (15090), so that
// conflicts are common; names and numbers that say a protocol (Istio's `<protocol>-suffix`,
// databases' well-known ports), so that proxies meet ports they cannot front.
const port = fc.record(
  {
    containerPort: fc.oneof(
      fc.constantFrom(80, 3000, 4180, 6379, 8080, 9000, 9090, 15080, 15090, 15091, 15095),
      fc.integer({ min: 1, max: 65535 }),
    ),
    name: fc.constantFrom(
      'http',
      'admin',
      'grpc',
      'metrics',
      'meter-http',
      'git-sync',
      'grpc-api',
      'http-web',
      'tcp-db',
      'redis',
      'https',
    ),
    protocol: fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const),
  },
  { requiredKeys: ['containerPort'] },
)
// Probes by number and by name, over HTTP, HTTPS, TCP and gRPC (which takes a number only).
const probeAction = fc.oneof(
  fc.record({
    httpGet: fc.record(
      {
        path: fc.constantFrom('/healthz', '/'),
        port: fc.constantFrom(8080, 'http', 'grpc'),
        scheme: fc.constantFrom('HTTP', 'HTTPS'),
      },
      { requiredKeys: ['path', 'port'] },
    ),
  }),
  fc.record({ tcpSocket: fc.record({ port: fc.constantFrom(6379, 'http', 'redis') }) }),
  fc.record({ grpc: fc.record({ port: fc.constantFrom(9000, 8080) }) }),
)
const probe = fc
  .tuple(probeAction, fc.integer({ min: 1, max: 60 }))
  .map(([action, periodSeconds]) => ({ ...action, periodSeconds }))
// What a container carries besides the fields injection reads: kept exactly as it is.
const extraFields = fc.record(
  {
    args: fc.array(fc.string(), { maxLength: 3 }),
    env: fc.array(fc.record({ name: label.map((l) => l.toUpperCase()), value: fc.string() }), {
      maxLength: 3,
    }),
    resources: fc.constant({ requests: { cpu: '100m', memory: '64Mi' } }),
    imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent'),
    readinessProbe: probe,
  },
  { requiredKeys: [] },
)

const role = fc.constantFrom('app', 'app', 'init', 'native')
const containerDraft = fc.record({
  name: containerName,
  role,
  ports: fc.option(fc.array(port, { maxLength: 3 }), { nil: undefined }),
  mounts: fc.option(fc.array(fc.tuple(fc.nat(), mountPath), { maxLength: 3 }), { nil: undefined }),
  extra: extraFields,
})
type ContainerDraft = typeof containerDraft extends fc.Arbitrary<infer T> ? T : never

const volumeSource = fc.constantFrom<Record<string, unknown>>(
  { emptyDir: {} },
  { configMap: { name: 'app-config' } },
  { secret: { secretName: 'app-secret', defaultMode: 420 } },
)
const specDraft = fc.record({
  containers: fc.uniqueArray(containerDraft, {
    minLength: 1,
    maxLength: 6,
    selector: (c) => c.name,
  }),
  volumes: fc.option(
    fc.uniqueArray(fc.tuple(volumeName, volumeSource), { maxLength: 4, selector: (v) => v[0] }),
    {
      nil: undefined,
    },
  ),
  restartPolicy: fc.option(fc.constantFrom('Always', 'OnFailure', 'Never'), { nil: undefined }),
  // Rarely on the host network, where proxies do not apply.
  hostNetwork: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 9 },
    { arbitrary: fc.constant(true as const), weight: 1 },
  ),
})
type SpecDraft = typeof specDraft extends fc.Arbitrary<infer T> ? T : never

/** A PodSpec from a draft: at least one app container, unique ports, mounts of known volumes. */
function buildSpec(draft: SpecDraft): Pod['spec'] {
  const seenPorts = new Set<string>()
  const volumes = draft.volumes?.map(([name, source]): Volume => ({ name, ...source }))
  const names = volumes?.map((v) => v.name) ?? []
  const built = draft.containers.map((c, i) => {
    // The first container is always the app's: a Pod needs one.
    const kind = i === 0 ? 'app' : c.role
    return { kind, container: buildContainer(c, kind, { seenPorts, volumes: names }) }
  })
  const of = (kind: string) => built.filter((b) => b.kind === kind).map((b) => b.container)
  const init = built.filter((b) => b.kind !== 'app').map((b) => b.container)
  return {
    containers: of('app'),
    ...(init.length && { initContainers: init }),
    ...(volumes && { volumes }),
    ...(draft.restartPolicy && { restartPolicy: draft.restartPolicy }),
    ...(draft.hostNetwork && { hostNetwork: true }),
  }
}

interface Seen {
  seenPorts: Set<string>
  volumes: string[]
}

function buildContainer(draft: ContainerDraft, kind: string, seen: Seen): Container {
  const { readinessProbe, ...rest } = draft.extra
  // Init containers that run to completion may not have probes; native sidecars and apps may.
  const extra = kind === 'init' || readinessProbe === undefined ? rest : { ...rest, readinessProbe }
  return {
    name: draft.name,
    image: `registry.example.com/${draft.name}:1`,
    ...extra,
    ...(kind === 'native' && { restartPolicy: 'Always' }),
    ...(draft.ports && { ports: uniquePorts(draft.ports, seen.seenPorts) }),
    ...(draft.mounts &&
      seen.volumes.length && { volumeMounts: mountsOf(draft.mounts, seen.volumes) }),
  }
}

/** Kubernetes wants port names unique per container and port/protocol unique per Pod. */
function uniquePorts(ports: ContainerPort[], seen: Set<string>): ContainerPort[] {
  const names = new Set<string>()
  return ports.filter((p) => {
    const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`
    if (seen.has(key) || (p.name !== undefined && names.has(p.name))) return false
    seen.add(key)
    if (p.name !== undefined) names.add(p.name)
    return true
  })
}

/** Mounts name an existing volume, and no path twice in one container. */
function mountsOf(mounts: [number, string][], volumes: string[]): VolumeMount[] {
  const paths = new Set<string>()
  return mounts.flatMap(([n, mountPath]) => {
    if (paths.has(mountPath)) return []
    paths.add(mountPath)
    return [{ name: volumes[n % volumes.length] as string, mountPath, readOnly: n % 2 === 0 }]
  })
}

/** Mostly values that should work, sometimes ones that must be refused. */
const mostly = (valid: string[], invalid: string[], weight = 15) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight },
    { arbitrary: fc.constantFrom(...invalid), weight: 1 },
  )
const sidecarList = fc
  .tuple(
    fc.array(mostly(['metrics', 'auth', 'git-sync', 'log-shipper'], ['nope', 'Metrics', ''], 30), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.constantFrom(',', ', ', ' , '),
  )
  .map(([names, separator]) => names.join(separator))

const patternAnnotations = fc.record(
  {
    'patterns/sidecar': sidecarList,
    'patterns/inject': mostly(['true'], ['false', 'yes']),
    'patterns/mode': mostly(['native', 'classic'], ['sidecar']),
    // Present on reinvocations only: rarely.
    'patterns/injected': fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 8 },
      fc.constantFrom('metrics', 'git-sync', '', 'auth', 'metrics,auth'),
    ),
    'patterns/git-sync.repo': mostly(['https://github.com/example/site.git'], ['file:///etc']),
    'patterns/git-sync.mount-path': mostly(['/git', '/content'], ['git']),
    'patterns/metrics.port': mostly(['8080', 'http', 'grpc'], ['0', 'admin']),
    'patterns/metrics.proxy-port': mostly(['15081'], ['4180']),
    'patterns/metrics.protocol': mostly(['http', 'grpc', 'tcp', 'http2'], ['udp', 'HTTP']),
    'kubectl.kubernetes.io/default-container': fc.constantFrom('web', 'a', 'patterns-metrics'),
    'patterns/auth.port': mostly(['8080', 'http'], ['3000']),
    'patterns/log-shipper.endpoint': mostly(['https://logs.example.com/ingest'], ['ftp://x']),
    'patterns/log-shipper.path': mostly(['/var/log/app', '/srv/logs'], ['logs']),
  },
  {
    requiredKeys: [
      'patterns/sidecar',
      'patterns/injected',
      'patterns/git-sync.repo',
      'patterns/log-shipper.endpoint',
    ],
  },
)
// Other teams' annotations, with `/` and `~` that a JSON pointer must escape, and any text.
const otherAnnotations = fc.dictionary(
  fc.oneof(
    fc.constantFrom('app.example.com/owner', 'a~b/c', 'example.com/x~1y', 'checksum/config'),
    // Fastify refuses a body with a __proto__ key (400): that is test/routes/fuzz.test.ts's case.
    fc.string({ minLength: 1, maxLength: 12 }).filter((key) => key !== '__proto__'),
  ),
  fc.string({ maxLength: 20, unit: 'grapheme' }),
  { maxKeys: 3 },
)

const metadata = fc.record(
  {
    identity: fc.oneof(
      fc.record({ name: label }),
      fc.record({ generateName: label.map((l) => `${l}-`) }),
    ),
    namespace: fc.constantFrom(...NAMESPACES),
    labels: fc.constant({ 'app.kubernetes.io/name': 'web' }),
    annotations: fc.tuple(
      otherAnnotations,
      fc.option(patternAnnotations, { freq: 6, nil: undefined }),
    ),
  },
  { requiredKeys: ['identity', 'annotations'] },
)

/** Reviews of Pod creations, as plain JSON the way they arrive on the wire. */
export const podReviews: fc.Arbitrary<PodReview> = fc
  .record({
    uid: fc.uuid(),
    spec: specDraft,
    // Rarely no metadata at all: the webhook must not rely on it.
    metadata: fc.option(metadata, { freq: 15, nil: undefined }),
    namespace: fc.option(fc.constantFrom(...NAMESPACES), { freq: 4, nil: undefined }),
  })
  .map(({ uid, spec, metadata, namespace }) => {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', spec: buildSpec(spec) }
    if (metadata) {
      const {
        identity,
        annotations: [other, patterns],
        ...meta
      } = metadata
      const annotations = Object.fromEntries(
        Object.entries({ ...other, ...patterns }).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      )
      pod.metadata = {
        ...identity,
        ...meta,
        ...(Object.keys(annotations).length && { annotations }),
      }
    }
    const gvk = { group: '', version: 'v1', kind: 'Pod' }
    const request = {
      uid,
      kind: gvk,
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: gvk,
      name: '',
      ...(namespace && { namespace }),
      operation: 'CREATE',
      object: pod,
      oldObject: null,
      dryRun: false,
    }
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }
    // Plain JSON, without fast-check's null-prototype records and undefined values.
    return JSON.parse(JSON.stringify(review)) as PodReview
  })
