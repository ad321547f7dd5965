// Whatever Pod and annotations the API server sends, the answer is one it accepts: the uid echoed,
// a patch only with its patchType, a denial with a reason and no patch, and a patch that applies
// with an independent RFC 6902 implementation, keeps the Pod valid and the app untouched, and
// leaves nothing more to do on reinvocation. Generated Pods are valid to begin with, so every
// violation found is one that injection caused.
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { applyPatch, type Operation } from 'rfc6902'
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { parseReview } from '../../src/admission/review.ts'
import type { Container, ContainerPort, Pod, Volume, VolumeMount } from '../../src/injection/pod.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { podViolations, unexpectedChanges } from '../helpers/pod-invariants.ts'

// Names a sidecar would claim show up often, so that the suffixing of names is exercised.
const CLAIMED = ['patterns-metrics', 'patterns-auth', 'patterns-git-sync', 'patterns-git-sync-init']
const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/)
const containerName = fc.oneof(label, fc.constantFrom(...CLAIMED, 'patterns-metrics-2', 'web'))
const volumeName = fc.oneof(label, fc.constantFrom('patterns-git-sync', 'patterns-git-sync-2'))
const mountPath = fc.constantFrom('/git', '/data', '/srv', '/var/run/secrets/kubernetes.io/sa')

// Ports near the sidecars' defaults (4180, 15080, 15090), so conflicts are common.
const portNumber = fc.oneof(
  fc.constantFrom(80, 3000, 4180, 8080, 9090, 15080, 15090),
  fc.integer({ min: 1, max: 65535 }),
)
const port = fc.record(
  {
    containerPort: portNumber,
    name: fc.constantFrom('http', 'admin', 'metrics', 'meter-http'),
    protocol: fc.constantFrom('TCP' as const, 'UDP' as const),
  },
  { requiredKeys: ['containerPort'] },
)
// A container's optional fields; `undefined` means the array is absent, not empty.
const extras = fc.record({
  ports: fc.option(fc.array(port, { maxLength: 3 }), { nil: undefined }),
  mounts: fc.option(fc.array(fc.tuple(fc.nat(), mountPath), { maxLength: 2 }), { nil: undefined }),
})

const spec = fc.record({
  names: fc.uniqueArray(containerName, { minLength: 1, maxLength: 6 }),
  apps: fc.integer({ min: 1, max: 4 }),
  extras: fc.array(extras, { minLength: 6, maxLength: 6 }),
  volumes: fc.option(fc.uniqueArray(volumeName, { maxLength: 3 }), { nil: undefined }),
})

type SpecInput = typeof spec extends fc.Arbitrary<infer T> ? T : never

/** Builds a Pod the API server would accept: unique names, ports and paths, known volumes. */
function buildSpec({ names, apps, extras, volumes }: SpecInput): Pod['spec'] {
  const seenPorts = new Set<string>()
  const containers = names.map((name, i): Container => {
    const { ports, mounts } = extras[i] ?? {}
    return {
      name,
      image: `example/${name}:1`,
      ...(ports && { ports: uniquePorts(ports, seenPorts) }),
      ...(mounts && volumes?.length && { volumeMounts: mountsOf(mounts, volumes) }),
    }
  })
  const app = containers.slice(0, Math.min(apps, names.length))
  const init = containers.slice(app.length)
  return {
    containers: app,
    ...(init.length && { initContainers: init }),
    ...(volumes && { volumes: volumes.map((name): Volume => ({ name, emptyDir: {} })) }),
    restartPolicy: 'Always',
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
    return [{ name: volumes[n % volumes.length] as string, mountPath }]
  })
}

/** Mostly values that should work, sometimes ones that must be refused. */
const mostly = (valid: string[], invalid: string[], weight = 8) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight },
    { arbitrary: fc.constantFrom(...invalid), weight: 1 },
  )
const sidecarList = fc
  .tuple(
    fc.array(mostly(['metrics', 'auth', 'git-sync'], ['nope', 'Metrics'], 15), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.constantFrom(',', ', ', ' , '),
  )
  .map(([names, separator]) => names.join(separator))
// An absent or blank patterns/sidecar is one case among many, not half of them.
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, absent: unknown = undefined) =>
  fc.oneof({ arbitrary, weight: 9 }, fc.constant(absent as T))
const annotations = fc.record(
  {
    'patterns/sidecar': sometimes(sidecarList, ' , '),
    'patterns/git-sync.repo': sometimes(
      mostly(
        ['https://github.com/example/site.git', 'git@github.com:example/site.git'],
        ['file:///etc', ''],
      ),
    ),
    'patterns/git-sync.mount-path': mostly(['/git', '/data', '/content'], ['/', 'git']),
    'patterns/git-sync.reload-url': mostly(['http://localhost:8080/-/reload'], ['http://x']),
    'patterns/metrics.port': mostly(['8080', '8080', 'http'], ['0', '15080', 'admin']),
    'patterns/metrics.proxy-port': mostly(['15081', '15082'], ['4180', '8080']),
    'patterns/auth.port': mostly(['8080', '8080', 'http'], ['3000']),
    'patterns/auth.proxy-port': mostly(['4181', '4182'], ['15090', '65536']),
    'patterns/inject': mostly(['true'], ['false', 'yes']),
    'patterns/typo': fc.constant('x'),
    'app.kubernetes.io/name': fc.constant('web'),
  },
  // JSON drops the keys left undefined, so these two are present most of the time.
  { requiredKeys: ['patterns/sidecar', 'patterns/git-sync.repo'] },
)

const metadata = fc.record(
  {
    identity: fc.oneof(
      fc.record({ name: label }),
      fc.record({ generateName: label.map((l) => `${l}-`) }),
    ),
    namespace: fc.constantFrom('shop', 'batch'),
    annotations: sometimes(annotations),
    labels: fc.constant({ app: 'web' }),
  },
  { requiredKeys: ['identity', 'annotations'] },
)

type Annotations = Record<string, string>
type Review = { request: { uid: string; object: Pod } }

const review = fc
  .record({
    uid: fc.uuid(),
    spec,
    metadata,
    requestNamespace: fc.option(fc.constantFrom('shop', 'batch'), { nil: undefined }),
  })
  .map(({ uid, spec, metadata: { identity, annotations, ...meta }, requestNamespace }) => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...identity,
        ...meta,
        ...(annotations && { annotations: annotations as Annotations }),
      },
      spec: buildSpec(spec),
    }
    const gvk = { group: '', version: 'v1', kind: 'Pod' }
    const gvr = { group: '', version: 'v1', resource: 'pods' }
    const request = {
      uid,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: '',
      ...(requestNamespace && { namespace: requestNamespace }),
      operation: 'CREATE',
      object: pod,
      oldObject: null,
      dryRun: false,
    }
    const body = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }
    // As it arrives on the wire: plain JSON, without fast-check's null-prototype records.
    return JSON.parse(JSON.stringify(body)) as Review
  })

type Checked = Parameters<typeof podViolations>[0]
const outcomes = new Map<string, number>()
const context = { catalog: builtinCatalog, namespace: undefined }

/** Every rule a response breaks, as sentences; empty when the response is right. */
function violations(body: Review): string[] {
  const original = structuredClone(body.request.object)
  const parsed = parseReview(body)
  if (!parsed.ok) return [`the generated review is not one: ${parsed.error}`]
  const { response, outcome } = admit(parsed.request, context)
  outcomes.set(outcome.result, (outcomes.get(outcome.result) ?? 0) + 1)
  const found: string[] = []
  const fail = (ok: unknown, why: string) => ok || found.push(why)
  fail(response.uid === body.request.uid, 'response.uid is not the request uid')
  fail((response.patch === undefined) === (response.patchType === undefined), 'patch iff patchType')
  fail(isDeepStrictEqual(body.request.object, original), 'admit modified the request object')
  if (!response.allowed) {
    fail(response.patch === undefined, 'a denial carries a patch')
    fail(response.status?.message, 'a denial has no message')
  }
  if (response.patch === undefined) return found

  const patch: Operation[] = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))
  const pod = structuredClone(original)
  const results = applyPatch(pod, patch)
  fail(
    results.every((r) => r === null),
    `rfc6902 cannot apply the patch: ${results.join('; ')}`,
  )
  found.push(
    ...podViolations(pod as Checked),
    ...unexpectedChanges(original as Checked, pod as Checked),
  )
  const again = admit({ ...parsed.request, object: pod }, context).response
  fail(again.allowed && again.patch === undefined, `reinvocation: ${JSON.stringify(again)}`)
  return found
}

t.test('every review gets an answer the API server accepts', async (t) => {
  const details = fc.check(
    fc.property(review, (body) => {
      const found = violations(body)
      if (found.length) throw new Error(found.join('\n'))
    }),
    { numRuns: 300 },
  )
  // The report gives the shrunk counterexample and its seed; the error says what it broke.
  const broken = details.errorInstance instanceof Error ? details.errorInstance.message : ''
  t.notOk(details.failed, `${fc.defaultReportMessage(details) ?? 'no counterexample'}\n${broken}`)
  if (details.failed) return
  // The generator is only worth its runs if it reaches every kind of answer.
  for (const result of ['injected', 'denied', 'skipped']) {
    t.ok((outcomes.get(result) ?? 0) >= 30, `${result}: ${outcomes.get(result) ?? 0} runs`)
  }
})
