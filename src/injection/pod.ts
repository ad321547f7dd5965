// The parts of core/v1 Pod that injection reads or writes, with their JSON field names.
// Everything else the API server sends is kept as it is: these types are open, never a whitelist.

export interface ContainerPort {
  name?: string
  containerPort: number
  protocol?: 'TCP' | 'UDP' | 'SCTP'
  [field: string]: unknown
}

export interface VolumeMount {
  name: string
  mountPath: string
  readOnly?: boolean
  [field: string]: unknown
}

export interface EnvVar {
  name: string
  value?: string
  valueFrom?: Record<string, unknown>
}

export interface Probe {
  httpGet: { path: string; port: number | string }
  initialDelaySeconds?: number
  periodSeconds?: number
}

export interface SecurityContext {
  runAsNonRoot: boolean
  runAsUser?: number
  runAsGroup?: number
  allowPrivilegeEscalation: boolean
  readOnlyRootFilesystem: boolean
  capabilities: { drop: string[] }
  seccompProfile: { type: 'RuntimeDefault' }
}

export interface ResourceRequirements {
  requests: { cpu: string; memory: string }
  limits: { memory: string; cpu?: string }
}

export interface Container {
  name: string
  image?: string
  args?: string[]
  ports?: ContainerPort[]
  env?: EnvVar[]
  envFrom?: Record<string, unknown>[]
  volumeMounts?: VolumeMount[]
  [field: string]: unknown
}

export interface Volume {
  name: string
  [field: string]: unknown
}

export interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  ephemeralContainers?: Container[]
  volumes?: Volume[]
  [field: string]: unknown
}

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  annotations?: Record<string, string>
  ownerReferences?: { kind: string; name: string; controller?: boolean }[]
  [field: string]: unknown
}

export interface Pod {
  apiVersion?: string
  kind?: string
  metadata?: ObjectMeta
  spec: PodSpec
  [field: string]: unknown
}

/** Every container name in the Pod: Kubernetes wants them unique across all three lists. */
export function containerNames(pod: Pod): Set<string> {
  const { containers, initContainers = [], ephemeralContainers = [] } = pod.spec
  return new Set([...containers, ...initContainers, ...ephemeralContainers].map((c) => c.name))
}

/** Every volume name in the Pod. */
export function volumeNames(pod: Pod): Set<string> {
  return new Set((pod.spec.volumes ?? []).map((v) => v.name))
}

/** A name for people: the Pod's name, or its generateName prefix, in its namespace, and its owner. */
export function describePod(pod: Pod, namespace: string): string {
  const meta = pod.metadata ?? {}
  const name = meta.name || (meta.generateName ? `${meta.generateName}*` : '(unnamed)')
  return `${cut(namespace)}/${cut(name)}${describeOwner(meta.ownerReferences)}`
}

// Names are checked by the API server only after admission: each part is cut to the longest a
// valid one can be (253, an object name), so that a log line, and an answer the review memo
// keeps, cannot be made megabytes long.
function cut(name: string): string {
  return name.length > 253 ? `${name.slice(0, 250)}...` : name
}

// Only for messages and logs, so a malformed ownerReferences (which the API server will reject
// after admission anyway) is left out rather than checked as part of the Pod.
function describeOwner(references: unknown): string {
  if (!Array.isArray(references)) return ''
  const owners = references.filter(
    (o): o is { kind: string; name: string; controller?: boolean } =>
      typeof o?.kind === 'string' && typeof o?.name === 'string',
  )
  const owner = owners.find((o) => o.controller === true) ?? owners[0]
  return owner ? ` (${cut(owner.kind)} ${cut(owner.name)})` : ''
}
