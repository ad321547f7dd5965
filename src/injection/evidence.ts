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
import type { Container, Pod, VolumeMount } from './pod.ts'
import { containerNames, volumeNames } from './pod.ts'
import { planChain } from './proxy-chain.ts'
import type { InjectionRequest } from './request.ts'
import type { ConfiguredSidecar, Mode, SidecarParts } from './sidecar.ts'

/** A claimed sidecar that is not there as rendered, and the first difference found. */
export interface Unproven {
  sidecar: string
  why: string
}

export interface Evidence {
  /** Claimed sidecars the Pod holds as the catalog renders them. */
  proven: string[]
  unproven: Unproven[]
  /** The Pod's own containers: those that are no part of a claimed sidecar. */
  app: Container[]
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

/** Checks each sidecar `request.injected` claims against the Pod, as `mode` would build it. */
export function weighClaims(
  pod: Pod,
  request: InjectionRequest,
  mode: Mode,
  catalog: Catalog,
): Evidence {
  const claimed = new Set(request.injected)
  const unknown = [...claimed].filter((name) => !catalog.sidecars.has(name))
  const evidence: Evidence = {
    proven: [],
    unproven: unknown.map((sidecar) => ({ sidecar, why: 'not in the catalog' })),
    app: [],
  }
  const configured: ConfiguredSidecar[] = []
  for (const sidecar of catalog.sidecars.values()) {
    if (!claimed.has(sidecar.name)) continue
    const configuration = sidecar.configure(request.params.get(sidecar.name) ?? new Map())
    if (configuration.ok) configured.push(configuration.sidecar)
    else evidence.unproven.push({ sidecar: sidecar.name, why: 'its parameters are invalid' })
  }
  // Which containers are the app's decides where the proxies forward. Usually every container
  // named after a claimed sidecar is one of its parts; but where the app has a container of that
  // name itself, ours took the next free name, and only that one is not the app's.
  const views = [
    appContainers(pod, request.injected),
    pod.spec.containers.filter((c) => !latestNames(pod, configured).has(c.name)),
  ]
  const [first, second] = views.map((app) => weighAll(pod, configured, mode, app))
  const weighed = second && first && second.unproven.length < first.unproven.length ? second : first
  evidence.proven.push(...(weighed?.proven ?? []))
  evidence.unproven.push(...(weighed?.unproven ?? []))
  // The app's containers are all but the parts of the sidecars proven, and, for claims left
  // standing unproven, all but those named after them.
  const parts = weighed?.parts ?? new Set<string>()
  const standing = appContainers(
    pod,
    evidence.unproven.map((u) => u.sidecar),
  )
  evidence.app = standing.filter((c) => !parts.has(c.name))
  return evidence
}

/** What one view of the app's containers proves, and the containers the proven sidecars hold. */
interface Weighed {
  proven: string[]
  unproven: Unproven[]
  parts: Set<string>
}

function weighAll(
  pod: Pod,
  configured: readonly ConfiguredSidecar[],
  mode: Mode,
  app: readonly Container[],
): Weighed {
  const weighed: Weighed = { proven: [], unproven: [], parts: new Set() }
  const chain = planChain(configured, app, pod.metadata?.annotations?.[DEFAULT_CONTAINER]?.trim())
  const upstreams = chain.ok ? chain.upstreams : new Map<string, number>()
  for (const sidecar of configured) {
    const found = weigh(pod, sidecar, { mode, upstream: upstreams.get(sidecar.name), app })
    if (typeof found === 'string') weighed.unproven.push({ sidecar: sidecar.name, why: found })
    else {
      weighed.proven.push(sidecar.name)
      for (const name of found) weighed.parts.add(name)
    }
  }
  return weighed
}

function latestNames(pod: Pod, sidecars: readonly ConfiguredSidecar[]): Set<string> {
  const latest = present(containerNames(pod), 'latest')
  return new Set(sidecars.map((s) => latest(baseContainerName(s.name))))
}

interface Rendering {
  mode: Mode
  upstream: number | undefined
  app: readonly Container[]
}

// The names of the containers that hold the sidecar as rendered, or why the Pod does not hold
// it. Its parts were named by an allocator that took the first free name
// (src/injection/names.ts): the base name, or, where the Pod had that already (an app container
// called patterns-metrics), a suffixed one. The Pod may hold several such names; the earliest and
// the latest are tried.
function weigh(
  pod: Pod,
  sidecar: ConfiguredSidecar,
  { mode, upstream, app }: Rendering,
): string[] | string {
  if (sidecar.proxy && upstream === undefined) return 'the app port it fronts is unknown'
  let why = ''
  for (const pick of ['latest', 'earliest'] as const) {
    const parts = sidecar.build({
      mode,
      upstream,
      containerName: present(containerNames(pod), pick),
      volumeName: present(volumeNames(pod), pick),
    })
    const missing = partsMissing(pod, parts) ?? mountsMissing(parts.appMounts, app)
    if (missing === undefined)
      return [...parts.containers, ...parts.initContainers].map((c) => c.name)
    why ||= missing
  }
  return why
}

// A name the Pod has for `base`: itself or `base-N`, the earliest or the latest of them.
function present(
  names: ReadonlySet<string>,
  pick: 'earliest' | 'latest',
): (base: string) => string {
  return (base) => {
    const suffix = (name: string) =>
      name === base ? 1 : name.startsWith(`${base}-`) ? Number(name.slice(base.length + 1)) : NaN
    const found = [...names]
      .filter((name) => Number.isInteger(suffix(name)))
      .sort((a, b) => suffix(a) - suffix(b))
    return (pick === 'earliest' ? found[0] : found.at(-1)) ?? base
  }
}

function partsMissing(pod: Pod, parts: SidecarParts): string | undefined {
  const lists = [
    ['containers', parts.containers, pod.spec.containers],
    ['initContainers', parts.initContainers, pod.spec.initContainers ?? []],
    ['volumes', parts.volumes, pod.spec.volumes ?? []],
  ] as const
  for (const [list, rendered, actual] of lists) {
    for (const part of rendered) {
      const found = (actual as readonly { name: string }[]).find((a) => a.name === part.name)
      if (!found) return `${list} has no ${part.name}`
      const at = mismatch(part, found, `${list}[${part.name}]`)
      if (at !== undefined) return `${at} is not as the catalog renders it`
    }
  }
  return undefined
}

function mountsMissing(mounts: readonly VolumeMount[], app: readonly Container[]) {
  for (const mount of mounts)
    for (const container of app)
      if (!(container.volumeMounts ?? []).some((m) => mismatch(mount, m, '') === undefined))
        return `container ${container.name} does not mount ${mount.name} at ${mount.mountPath}`
  return undefined
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
