// What `uninject` removes from one Pod: exactly what the webhook injected, and only what the Pod
// holds as the catalog renders it today (src/injection/evidence.ts proves each claim of
// patterns/injected). A container the user wrote is never removed, even one named like ours: a
// claim the Pod does not bear out removes nothing and stays in patterns/injected, reported.
import { INJECTED, REVISION } from '../injection/annotations.ts'
import type { Catalog } from '../injection/catalog.ts'
import { mismatch, type Unproven, weighClaims } from '../injection/evidence.ts'
import type { Container, Pod } from '../injection/pod.ts'
import { checkPod } from '../injection/pod-shape.ts'
import { marksOf, PORT_TAKEOVER, type Takeover } from '../injection/port-takeover.ts'
import { configureWanted, readRequest } from '../injection/request.ts'
import { formatRevisions, readRevisions } from '../injection/revisions.ts'
import type { SidecarParts } from '../injection/sidecar.ts'
import type { Change } from './yaml-change.ts'

export type Uninjection =
  | {
      action: 'remove'
      removed: string[]
      changes: Change[]
      unproven: Unproven[]
      proxies: RemovedProxy[]
    }
  | { action: 'skip'; reason: string }
  | { action: 'refuse'; reason: string }

/** A proxy removed: the port it listened on and the one it forwarded to. */
export interface RemovedProxy {
  sidecar: string
  port: number
  upstream: number
}

/** What a reversal step knows: the Pod, the claims it bears out and the app's containers. */
interface Reversing {
  pod: Pod
  injected: readonly string[]
  proven: ReadonlyMap<string, SidecarParts>
  app: readonly Container[]
  /** The port name a proven proxy took over (src/injection/port-takeover.ts). */
  takeover: Takeover | undefined
}

/** A step of the reversal: changes to the Pod, with paths relative to it. */
type Reversal = (reversing: Reversing) => Change[]

// The reversal, step by step, each the inverse of a step of src/injection/mutate.ts. A sidecar
// step that also edits the app's own containers (such as the metrics sidecar taking over a named
// app port: the app's port renamed, its probes rewritten to the number) records what it changed
// in an annotation; its inverse belongs here, reading that annotation back.
const REVERSALS: readonly Reversal[] = [
  removeParts,
  removeAppMounts,
  giveNameBack,
  removeRecord,
  removeRevisions,
]

/** What to remove from `object`, a Pod, to have it as it was before injection. */
export function uninjectPod(object: unknown, catalog: Catalog): Uninjection {
  const checked = checkPod(object)
  if (!checked.ok)
    return { action: 'refuse', reason: `the Pod template is not a Pod: ${checked.error}` }
  const { pod } = checked
  const request = readRequest(pod.metadata?.annotations ?? {}, catalog)
  if (request.injected.length === 0) return { action: 'skip', reason: 'nothing injected' }
  if (request.invalidFlags.length)
    return { action: 'refuse', reason: `${INJECTED}: ${request.invalidFlags[0]?.message}` }
  // Offline, only the Pod's own requests are known; not its namespace's defaults and policies.
  const asked = (name: string) =>
    request.requested.includes(name) && !request.injected.includes(name)
  const alongside = configureWanted(catalog, request, asked).sidecars
  const evidence = weighClaims(pod, request, catalog, {
    mode: request.mode ?? catalog.mode,
    alongside,
  })
  const { proven, app, unproven, takeover } = evidence
  const reversing = { pod, injected: request.injected, proven, app, takeover }
  const changes = proven.size ? REVERSALS.flatMap((reverse) => reverse(reversing)) : []
  const proxies = evidence.chained.flatMap(({ name, listen }) => {
    const upstream = evidence.upstreams.get(name)
    return proven.has(name) && upstream !== undefined
      ? [{ sidecar: name, port: listen.port, upstream }]
      : []
  })
  return { action: 'remove', removed: [...proven.keys()], changes, unproven, proxies }
}

function removeParts({ pod, proven }: Reversing): Change[] {
  const parts = [...proven.values()]
  const named = (items: readonly { name: string }[]) => new Set(items.map((i) => i.name))
  const lists = [
    ['containers', pod.spec.containers, named(parts.flatMap((p) => p.containers))],
    [
      'initContainers',
      pod.spec.initContainers ?? [],
      named(parts.flatMap((p) => p.initContainers)),
    ],
    ['volumes', pod.spec.volumes ?? [], named(parts.flatMap((p) => p.volumes))],
  ] as const
  return lists.flatMap(([list, items, ours]) =>
    items.flatMap((item, i): Change[] =>
      ours.has(item.name) ? [{ op: 'delete', path: ['spec', list, i] }] : [],
    ),
  )
}

// Injection appended each sidecar's app mounts to every app container: the last mount that
// matches each is removed, so a mount the user wrote alike, earlier, stays.
function removeAppMounts({ pod, proven, app }: Reversing): Change[] {
  const mounts = [...proven.values()].flatMap((p) => p.appMounts)
  const changes: Change[] = []
  for (const container of app) {
    const index = pod.spec.containers.indexOf(container)
    const own = container.volumeMounts ?? []
    const taken = new Set<number>()
    for (const mount of mounts) {
      const j = own.findLastIndex((m, k) => !taken.has(k) && mismatch(mount, m, '') === undefined)
      if (j === -1) continue
      taken.add(j)
      changes.push({ op: 'delete', path: ['spec', 'containers', index, 'volumeMounts', j] })
    }
  }
  return changes
}

// The inverse of a takeover: the app port gets its name back, and each handler the record lists
// the name where it has the number, written as the port's name is (inject wrote a number, which
// keeps no quotes). A takeover by a proxy left standing is no takeover here: it stays, recorded.
function giveNameBack({ pod, app, takeover }: Reversing): Change[] {
  if (!takeover) return []
  const changes = marksOf(app, takeover).flatMap(({ container, port, handlers }): Change[] => {
    const at = ['spec', 'containers', pod.spec.containers.indexOf(container)]
    const name = [...at, 'ports', port, 'name']
    return [
      { op: 'set', path: name, value: takeover.name },
      ...handlers.map((handler): Change => {
        const path = [...at, ...handler.split('/'), 'port']
        return { op: 'set', path, value: takeover.name, like: name }
      }),
    ]
  })
  return [...changes, { op: 'delete', path: ['metadata', 'annotations', PORT_TAKEOVER] }]
}

// The claims left standing stay recorded, as inject wrote the list: names joined by commas.
function removeRecord({ injected, proven }: Reversing): Change[] {
  const path = ['metadata', 'annotations', INJECTED]
  const standing = injected.filter((name) => !proven.has(name))
  return standing.length
    ? [{ op: 'set', path, value: standing.join(',') }]
    : [{ op: 'delete', path }]
}

// Inject writes patterns/revision whole, as the revisions of the earlier claims and its own: the
// entries of the sidecars removed go, the others stay as inject wrote them; none left, the key
// goes (and the annotations map with it, when injection added it whole: yaml-deletes.ts).
function removeRevisions({ pod, proven }: Reversing): Change[] {
  const annotations = pod.metadata?.annotations
  if (annotations?.[REVISION] === undefined) return []
  const path = ['metadata', 'annotations', REVISION]
  const standing = [...readRevisions(annotations)].filter(([name]) => !proven.has(name))
  if (standing.length === 0) return [{ op: 'delete', path }]
  const value = formatRevisions(standing)
  return value === annotations[REVISION] ? [] : [{ op: 'set', path, value }]
}
