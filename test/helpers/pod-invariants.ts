// What the API server would check of a patched Pod, restated independently of src/: the rules
// injection can break. Returns every violation found, so a failing test says all that is wrong.
import { isDeepStrictEqual } from 'node:util'

type Json = Record<string, unknown>
interface Container extends Json {
  name: string
  ports?: { name?: string; containerPort: number; protocol?: string }[]
  volumeMounts?: { name: string; mountPath: string }[]
}
interface Pod extends Json {
  metadata?: { annotations?: Record<string, string> } & Json
  spec: {
    containers: Container[]
    initContainers?: Container[]
    volumes?: { name: string }[]
  } & Json
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/

/** Rules the API server enforces on names, mounts and ports. */
export function podViolations(pod: Pod): string[] {
  const problems: string[] = []
  const { containers, initContainers = [], volumes = [] } = pod.spec
  const all = [...initContainers, ...containers]
  problems.push(
    ...uniqueNames(
      'container',
      all.map((c) => c.name),
    ),
  )
  problems.push(
    ...uniqueNames(
      'volume',
      volumes.map((v) => v.name),
    ),
  )
  const volumeNames = new Set(volumes.map((v) => v.name))
  for (const c of all) problems.push(...containerViolations(c, volumeNames))
  problems.push(...initContainerViolations(initContainers))
  // Native sidecars run beside the app, so their ports share its network namespace.
  problems.push(
    ...sharedPorts([...initContainers.filter((c) => c.restartPolicy === 'Always'), ...containers]),
  )
  problems.push(
    ...containers
      .filter((c) => c.restartPolicy !== undefined)
      .map((c) => `container "${c.name}" sets restartPolicy`),
  )
  return problems
}

function uniqueNames(what: string, names: string[]): string[] {
  const problems = names
    .filter((n) => !DNS_LABEL.test(n))
    .map((n) => `${what} name "${n}" is not a DNS-1123 label`)
  const repeated = names.filter((n, i) => names.indexOf(n) !== i)
  return [...problems, ...repeated.map((n) => `${what} name "${n}" is used twice`)]
}

function containerViolations(c: Container, volumes: ReadonlySet<string>): string[] {
  const image =
    typeof c.image === 'string' && c.image !== '' ? [] : [`container "${c.name}" has no image`]
  return [...image, ...mountViolations(c, volumes), ...portViolations(c)]
}

function mountViolations(c: Container, volumes: ReadonlySet<string>): string[] {
  const mounts = c.volumeMounts ?? []
  const problems = mounts.flatMap((m) => [
    ...(volumes.has(m.name) ? [] : [`container "${c.name}" mounts missing volume "${m.name}"`]),
    ...(m.mountPath.startsWith('/') ? [] : [`container "${c.name}" mount path is relative`]),
  ])
  const paths = mounts.map((m) => m.mountPath)
  if (new Set(paths).size !== paths.length)
    problems.push(`container "${c.name}" mounts a path twice`)
  return problems
}

function portViolations(c: Container): string[] {
  const ports = c.ports ?? []
  const problems = ports.flatMap((p) => [
    ...(Number.isInteger(p.containerPort) && p.containerPort >= 1 && p.containerPort <= 65535
      ? []
      : [`container "${c.name}" has invalid port ${p.containerPort}`]),
    ...(p.name === undefined || PORT_NAME.test(p.name) ? [] : [`port name "${p.name}" is invalid`]),
  ])
  const names = ports.flatMap((p) => (p.name ? [p.name] : []))
  if (new Set(names).size !== names.length)
    problems.push(`container "${c.name}" repeats a port name`)
  return problems
}

// Init containers that run to completion may not have probes or lifecycle hooks; only native
// sidecars (restartPolicy Always) may.
function initContainerViolations(initContainers: Container[]): string[] {
  return initContainers.flatMap((c) => {
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always')
      return [`init container "${c.name}" has restartPolicy ${c.restartPolicy}`]
    if (c.restartPolicy === 'Always') return []
    const probes = ['readinessProbe', 'livenessProbe', 'startupProbe', 'lifecycle'].filter(
      (f) => f in c,
    )
    return probes.map((f) => `init container "${c.name}" sets ${f}`)
  })
}

function sharedPorts(containers: Container[]): string[] {
  const owner = new Map<string, string>()
  const problems: string[] = []
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`
      const other = owner.get(key)
      if (other) problems.push(`port ${key} is used by "${other}" and "${c.name}"`)
      owner.set(key, c.name)
    }
  }
  return problems
}

/**
 * What injection may change: containers, initContainers and volumes appended, mounts appended to
 * app containers (and the app port renamed by a takeover, which the `patterns/port-takeover` record
 * undoes), and the `patterns/injected`, `patterns/revision` and `patterns/port-takeover`
 * annotations. Anything else changed is a violation.
 */
export function unexpectedChanges(original: Pod, patched: Pod): string[] {
  const problems: string[] = []
  const { annotations: before = {}, ...metaBefore } = original.metadata ?? {}
  const { annotations: after = {}, ...metaAfter } = patched.metadata ?? {}
  const {
    'patterns/injected': _,
    'patterns/revision': _r,
    'patterns/port-takeover': record,
    ...restAfter
  } = after
  const {
    'patterns/injected': __,
    'patterns/revision': __r,
    'patterns/port-takeover': recordBefore,
    ...restBefore
  } = before
  if (!isDeepStrictEqual(metaBefore, metaAfter))
    problems.push('metadata changed beyond annotations')
  if (!isDeepStrictEqual(restBefore, restAfter))
    problems.push('annotations changed beyond patterns/injected and patterns/revision')
  const { containers: c0, initContainers: i0 = [], volumes: v0 = [], ...spec0 } = original.spec
  const { containers: c1, initContainers: i1 = [], volumes: v1 = [], ...spec1 } = patched.spec
  if (!isDeepStrictEqual(spec0, spec1)) problems.push('spec changed beyond containers and volumes')
  if (!isDeepStrictEqual(i0, i1.slice(0, i0.length)))
    problems.push('existing init containers changed')
  if (!isDeepStrictEqual(v0, v1.slice(0, v0.length))) problems.push('existing volumes changed')
  // A takeover of an earlier call (reinvocation) is already in the original, and stays as it was.
  if (recordBefore !== undefined && recordBefore !== record)
    problems.push('patterns/port-takeover of an earlier call changed')
  const taken = record !== undefined && recordBefore === undefined
  const reversed = taken ? reverseTakeover(c1, JSON.parse(record)) : c1
  c0.forEach((container, i) => {
    const { volumeMounts: m0, ...rest0 } = container
    const { volumeMounts: m1, ...rest1 } = reversed[i] ?? { name: '' }
    const mountsKept =
      m0 === undefined
        ? m1 === undefined || m1.length > 0
        : isDeepStrictEqual(m0, m1?.slice(0, m0.length))
    const same = isDeepStrictEqual(rest0, rest1) && mountsKept
    if (!same) problems.push(`app container "${container.name}" changed beyond added mounts`)
  })
  return problems
}

interface TakeoverRecord {
  port: number
  name: string
  renamed: string
  containers: string[]
  handlers: string[]
}

// Undoes what patterns/port-takeover records, from the record alone: the app port gets its name
// back, and each handler listed (`web/lifecycle/preStop/httpGet`) the name instead of the number.
// That the result is the original Pod's containers shows the record suffices to reverse it.
function reverseTakeover(containers: readonly Container[], record: TakeoverRecord): Container[] {
  return containers.map((container) =>
    record.containers.includes(container.name) ? reversed(container, record) : container,
  )
}

function reversed(container: Container, record: TakeoverRecord): Container {
  const copy = structuredClone(container)
  for (const port of copy.ports ?? [])
    if (port.name === record.renamed && port.containerPort === record.port) port.name = record.name
  const own = record.handlers.filter((h) => h.startsWith(`${container.name}/`))
  for (const handler of own) {
    let node: Record<string, unknown> = copy
    for (const key of handler.split('/').slice(1)) node = node[key] as Record<string, unknown>
    node.port = record.name
  }
  return copy
}
