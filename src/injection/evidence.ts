// What `patterns/injected` claims is only a claim: a Pod's author can write it at CREATE, with or
// without look-alike containers, to skip a sidecar a policy requires. A sidecar counts as
// injected only when the Pod holds it as the catalog renders it now, for this Pod: the same
// containers (in the list its mode puts them in), volumes and app mounts, built from the Pod's
// own parameters, mode and proxy chain. Reinvocation (our own patch, seen again after a later
// webhook) and `sidecar-patterns inject` output both pass; a forged or stale claim does not.
//
// The API server changes what we rendered in a few known ways before we may see it again: it
// defaults some fields after every patch (pkg/apis/core/v1/defaults.go: SetDefaults_Container,
// SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_ContainerPort), and the ServiceAccount
// admission plugin mounts the token volume into every container
// (plugin/pkg/admission/serviceaccount/admission.go). Those fields, and only those, may be there
// besides what we rendered; anything else (a `command`, an `env`, other `args`) is a difference.
import { appContainers, baseContainerName } from './app-containers.ts'
import { DEFAULT_CONTAINER } from './app-port.ts'
import type { Catalog } from './catalog.ts'
import { withoutOtherInjectors } from './other-injectors.ts'
import type { Container, Pod, VolumeMount } from './pod.ts'
import { containerNames, volumeNames } from './pod.ts'
import {
  isBorneOut,
  PORT_TAKEOVER,
  readTakeover,
  restoreNames,
  type Takeover,
} from './port-takeover.ts'
import type { Protocol } from './protocol.ts'
import { type ChainedProxy, chainOf, planChain } from './proxy-chain.ts'
import { configureWanted, type InjectionRequest } from './request.ts'
import type { ConfiguredSidecar, Mode, SidecarParts } from './sidecar.ts'

/** A claimed sidecar that is not there as rendered, and the first difference found. */
export interface Unproven {
  sidecar: string
  why: string
}

/**
 * An app mount of a proven sidecar that one of the app's containers lacks (one added since by
 * another webhook, say), and can take: the Pod is completed as the catalog renders it.
 */
export interface Completion {
  sidecar: string
  container: string
  mount: VolumeMount
}

export interface Evidence {
  /** Claimed sidecars the Pod does not hold as the catalog renders them. */
  unproven: Unproven[]
  /** App mounts of proven sidecars that app containers lack, to add. */
  completions: Completion[]
  /** The Pod's own containers: those that are no part of a claimed sidecar. */
  app: Container[]
  /** Each claimed sidecar the Pod holds as rendered, with the parts that bear it out. */
  proven: Map<string, SidecarParts>
  /** The port name a proven proxy took over, as the Pod records it and holds the rename. */
  takeover: Takeover | undefined
  /** The claimed proxies, configured from the Pod's parameters: the chain an earlier call built. */
  chained: ChainedProxy[]
  /** Where each claimed proxy forwards, as the chain was resolved to render them. */
  upstreams: ReadonlyMap<string, number>
}

// Fields the API server fills in on a container, a port, a probe and its HTTP action.
const DEFAULTED = new Set([
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'protocol',
  'scheme',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
])
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount'

/**
 * Checks each sidecar `request.injected` claims against the Pod, as `mode` would build it; the
 * sidecars asked for besides (`alongside`: the Pod's, its namespace's defaults, policies,
 * configured) were in the chain the earlier call resolved, even those it left out, so their
 * settings resolve it again here.
 */
export function weighClaims(
  pod: Pod,
  request: InjectionRequest,
  catalog: Catalog,
  how: { mode: Mode; alongside?: readonly ConfiguredSidecar[] },
): Evidence {
  const { mode } = how
  const claimed = new Set(request.injected)
  const unknown = [...claimed].filter((name) => !catalog.sidecars.has(name))
  const evidence: Evidence = {
    unproven: unknown.map((sidecar) => ({ sidecar, why: 'not in the catalog' })),
    completions: [],
    app: [],
    proven: new Map(),
    takeover: undefined,
    chained: [],
    upstreams: new Map(),
  }
  const { sidecars: configured, invalid } = configureWanted(catalog, request, (n) => claimed.has(n))
  for (const { name } of invalid)
    evidence.unproven.push({ sidecar: name, why: 'its parameters are invalid' })
  evidence.chained = chainOf(configured)
  const alongside = chainOf(how.alongside ?? [])
  // Which containers are the app's decides where the proxies forward. Usually every container
  // named after a claimed sidecar is one of its parts; but where the app has a container of that
  // name itself, ours took the next free name, and only that one is not the app's.
  const index = indexPod(pod)
  const takeover = claimedTakeover(pod, claimed)
  const weigh = (app: readonly Container[]) =>
    weighAll(pod, index, { configured, alongside, mode, app, takeover })
  const named = weigh(appContainers(pod, request.injected))
  const weighed =
    named.unproven.length || named.completions.length
      ? closer(named, weigh(appApartFromLatest(pod, index, configured)))
      : named
  evidence.unproven.push(...weighed.unproven)
  evidence.completions = weighed.completions
  // The app's containers are all but the parts of the sidecars proven, and, for claims left
  // standing unproven, all but those named after them.
  const standing = appContainers(
    pod,
    evidence.unproven.map((u) => u.sidecar),
  )
  const parts = new Set(
    [...weighed.proven.values()].flatMap((p) =>
      [...p.containers, ...p.initContainers].map((c) => c.name),
    ),
  )
  evidence.app = standing.filter((c) => !parts.has(c.name))
  evidence.proven = weighed.proven
  evidence.upstreams = weighed.upstreams
  // A proxy that took the name over is proven only where the Pod holds the rename (weighTaken).
  evidence.takeover = weighed.proven.has(takeover?.sidecar ?? '') ? takeover : undefined
  return evidence
}

// A record that is no record of ours is not read: a proxy that took a name over then differs.
function claimedTakeover(pod: Pod, claimed: ReadonlySet<string>): Takeover | undefined {
  const record = readTakeover(pod.metadata?.annotations ?? {})
  return record.ok && claimed.has(record.takeover?.sidecar ?? '') ? record.takeover : undefined
}

// The view the Pod bears out better: fewer claims unproven, then fewer mounts to complete.
function closer(a: Weighed, b: Weighed): Weighed {
  const distance = (w: Weighed) => [w.unproven.length, w.completions.length] as const
  const [au, ac] = distance(a)
  const [bu, bc] = distance(b)
  return bu < au || (bu === au && bc < ac) ? b : a
}

/** What one view of the app's containers leaves unproven, the parts of the proven, and the app
 *  mounts to complete. */
interface Weighed {
  unproven: Unproven[]
  proven: Map<string, SidecarParts>
  completions: Completion[]
  upstreams: ReadonlyMap<string, number>
}

interface View {
  configured: readonly ConfiguredSidecar[]
  /** Proxies asked for and not claimed, whose settings took part in resolving the chain. */
  alongside: readonly ChainedProxy[]
  mode: Mode
  app: readonly Container[]
  /** The port name a claimed proxy took over, as the Pod records it. */
  takeover: Takeover | undefined
}

// The chain was planned on the app as it was before a takeover renamed its port: so it is
// planned again on the app with the name given back, and the proxy rendered with the name.
function weighAll(pod: Pod, index: PodIndex, view: View): Weighed {
  const { configured, alongside, mode, app, takeover } = view
  const before = takeover ? restoreNames(app, takeover) : app
  const main = pod.metadata?.annotations?.[DEFAULT_CONTAINER]?.trim()
  const chain = planChain(configured, before, main, alongside)
  const upstreams = chain.ok ? chain.upstreams : new Map<string, number>()
  const weighed: Weighed = { unproven: [], proven: new Map(), completions: [], upstreams }
  const protocol = chain.ok ? chain.protocol?.protocol : undefined
  for (const sidecar of configured) {
    const rendering = { mode, upstream: upstreams.get(sidecar.name), protocol, app }
    const found = weighTaken(index, sidecar, rendering, takeover)
    if (typeof found === 'string') {
      weighed.unproven.push({ sidecar: sidecar.name, why: found })
      continue
    }
    weighed.proven.set(sidecar.name, found.parts)
    const lacking = found.lacking.map(({ container, mount }) => ({
      sidecar: sidecar.name,
      container,
      mount,
    }))
    weighed.completions.push(...lacking)
  }
  return weighed
}

// The proxy that took the app port's name holds it only if the app's port was renamed too.
function weighTaken(
  index: PodIndex,
  sidecar: ConfiguredSidecar,
  rendering: Rendering,
  takeover: Takeover | undefined,
): Found | string {
  if (takeover?.sidecar !== sidecar.name) return weigh(index, sidecar, rendering)
  if (!isBorneOut(rendering.app, takeover))
    return `its app port is not renamed as ${PORT_TAKEOVER} records`
  return weigh(index, sidecar, { ...rendering, takeover: takeover.name })
}

// The regular containers but those that hold the latest name a claimed sidecar could have.
function appApartFromLatest(
  pod: Pod,
  index: PodIndex,
  sidecars: readonly ConfiguredSidecar[],
): Container[] {
  const theirs = new Set(
    sidecars.map((s) => index.containerNamed(baseContainerName(s.name), 'latest')),
  )
  return withoutOtherInjectors(pod).filter((c) => !theirs.has(c.name))
}

interface Rendering {
  mode: Mode
  upstream: number | undefined
  protocol: Protocol | undefined
  takeover?: string
  app: readonly Container[]
}

// The sidecar's parts as the Pod holds them, or why the Pod does not hold it. Its parts were
// named by an allocator that took the first free name (src/injection/names.ts): the base name,
// or, where the Pod had that already (an app container called patterns-metrics), a suffixed one.
// The Pod may hold several such names; the latest and the earliest are tried, and one the app
// containers bear out whole is preferred to one whose app mounts some of them lack.
function weigh(index: PodIndex, sidecar: ConfiguredSidecar, rendering: Rendering): Found | string {
  if (sidecar.proxy && rendering.upstream === undefined) return 'the app port it fronts is unknown'
  const whole = (w: Found | string) => typeof w !== 'string' && w.lacking.length === 0
  const latest = weighPick(index, sidecar, rendering, 'latest')
  if (whole(latest)) return latest
  const earliest = weighPick(index, sidecar, rendering, 'earliest')
  return whole(earliest) || (typeof latest === 'string' && typeof earliest !== 'string')
    ? earliest
    : latest
}

function weighPick(
  index: PodIndex,
  sidecar: ConfiguredSidecar,
  { mode, upstream, protocol, takeover, app }: Rendering,
  pick: Pick,
): Found | string {
  const parts = sidecar.build({
    mode,
    upstream,
    ...(protocol && { protocol }),
    ...(takeover && { takeover }),
    containerName: (base) => index.containerNamed(base, pick),
    volumeName: (base) => index.volumeNamed(base, pick),
  })
  const missing = partsMissing(index, parts)
  if (missing !== undefined) return missing
  const lacking = mountsLacking(parts.appMounts, app)
  return typeof lacking === 'string' ? lacking : { parts, lacking }
}

/** A claimed sidecar's parts as the Pod holds them, and the app mounts app containers lack. */
interface Found {
  parts: SidecarParts
  lacking: { container: string; mount: VolumeMount }[]
}

type Pick = 'earliest' | 'latest'

/**
 * The Pod's parts by name, and, for a base name, the earliest or latest of the names the Pod has
 * for it (itself or `base-N`): built once, so that weighing a claim costs the same however many
 * containers a Pod lists.
 */
interface PodIndex {
  containers: ReadonlyMap<string, Container>
  initContainers: ReadonlyMap<string, Container>
  volumes: ReadonlyMap<string, { name: string }>
  containerNamed(base: string, pick: Pick): string
  volumeNamed(base: string, pick: Pick): string
}

function indexPod(pod: Pod): PodIndex {
  // The first of a name, as a lookup by name would find it (a Pod that repeats one is invalid).
  const byName = <T extends { name: string }>(items: readonly T[] = []) =>
    new Map([...items].reverse().map((item) => [item.name, item]))
  return {
    containers: byName(pod.spec.containers),
    initContainers: byName(pod.spec.initContainers),
    volumes: byName(pod.spec.volumes),
    containerNamed: namesFor(containerNames(pod)),
    volumeNamed: namesFor(volumeNames(pod)),
  }
}

function namesFor(names: ReadonlySet<string>): (base: string, pick: Pick) => string {
  const bySuffix = new Map<string, { earliest: [number, string]; latest: [number, string] }>()
  const note = (base: string, suffix: number, name: string) => {
    const seen = bySuffix.get(base)
    if (!seen) bySuffix.set(base, { earliest: [suffix, name], latest: [suffix, name] })
    else if (suffix < seen.earliest[0]) seen.earliest = [suffix, name]
    else if (suffix > seen.latest[0]) seen.latest = [suffix, name]
  }
  for (const name of names) {
    note(name, 1, name)
    const suffixed = /^(.+)-([0-9]+)$/.exec(name)
    if (suffixed?.[1] && suffixed[2]) note(suffixed[1], Number(suffixed[2]), name)
  }
  return (base, pick) => bySuffix.get(base)?.[pick][1] ?? base
}

function partsMissing(index: PodIndex, parts: SidecarParts): string | undefined {
  const lists = [
    ['containers', parts.containers, index.containers],
    ['initContainers', parts.initContainers, index.initContainers],
    ['volumes', parts.volumes, index.volumes],
  ] as const
  for (const [list, rendered, actual] of lists) {
    for (const part of rendered) {
      const found = (actual as ReadonlyMap<string, unknown>).get(part.name)
      if (!found) return `${list} has no ${part.name}`
      const at = mismatch(part, found, `${list}[${part.name}]`)
      if (at !== undefined) return `${at} is not as the catalog renders it`
    }
  }
  return undefined
}

// The app mounts each app container lacks; why not, where one mounts something else at the path
// (the API server refuses two mounts at one path, so the Pod cannot be completed).
function mountsLacking(mounts: readonly VolumeMount[], app: readonly Container[]) {
  const lacking: { container: string; mount: VolumeMount }[] = []
  for (const mount of mounts)
    for (const container of app) {
      const own = container.volumeMounts ?? []
      if (own.some((m) => mismatch(mount, m, '') === undefined)) continue
      if (own.some((m) => m.mountPath === mount.mountPath))
        return `container ${container.name} mounts another volume at ${mount.mountPath}, where ${mount.name} belongs`
      lacking.push({ container: container.name, mount })
    }
  return lacking
}

/** The path of the first place where `actual` is not `rendered` (plus defaulted fields). */
export function mismatch(rendered: unknown, actual: unknown, path: string): string | undefined {
  if (Array.isArray(rendered)) return listMismatch(rendered, actual, path)
  if (rendered === null || typeof rendered !== 'object')
    return rendered === actual ? undefined : path
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return path
  return objectMismatch(
    rendered as Record<string, unknown>,
    actual as Record<string, unknown>,
    path,
  )
}

function objectMismatch(
  rendered: Record<string, unknown>,
  actual: Record<string, unknown>,
  path: string,
): string | undefined {
  for (const [key, value] of Object.entries(rendered)) {
    const at = mismatch(value, actual[key], `${path}.${key}`)
    if (at !== undefined) return at
  }
  const extra = Object.keys(actual).find(
    (key) => !Object.hasOwn(rendered, key) && !isDefaulted(key, actual[key]),
  )
  return extra === undefined ? undefined : `${path}.${extra}`
}

function isDefaulted(key: string, value: unknown): boolean {
  return DEFAULTED.has(key) || (key === 'volumeMounts' && isTokenMounts(value))
}

// Lists match item for item; a container's mounts may also hold the service account token's.
function listMismatch(rendered: unknown[], actual: unknown, path: string): string | undefined {
  if (!Array.isArray(actual)) return path
  const items = path.endsWith('.volumeMounts') ? actual.filter((m) => !isTokenMount(m)) : actual
  if (items.length !== rendered.length) return path
  for (let i = 0; i < rendered.length; i++) {
    const at = mismatch(rendered[i], items[i], `${path}[${i}]`)
    if (at !== undefined) return at
  }
  return undefined
}

function isTokenMounts(value: unknown): boolean {
  return Array.isArray(value) && value.every(isTokenMount)
}

function isTokenMount(value: unknown): boolean {
  const mount = value as Partial<VolumeMount> | null
  return mount?.mountPath === TOKEN_PATH && mount.readOnly === true
}
