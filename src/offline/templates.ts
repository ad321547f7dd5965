// Where Pods live in the objects a GitOps repository holds: the object itself, a workload's
// Pod template, a CronJob's job template, or the items of a List.

/** A path into a YAML document, as the yaml package walks it. */
export type Path = (string | number)[]

export interface TemplateSite {
  /** Where the Pod (metadata + spec) sits in the document. */
  path: Path
  /** What holds it, for messages: "Deployment shop/web". */
  owner: string
  /** The namespace the Pod will be created in, if the object says. */
  namespace: string | undefined
}

const WORKLOADS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'ReplicationController',
])

interface KubeObject {
  kind?: unknown
  metadata?: { name?: unknown; namespace?: unknown }
  items?: unknown
}

/** Every Pod template in an object, with its path; none for kinds that hold no Pod. */
export function findTemplates(object: unknown, path: Path = []): TemplateSite[] {
  if (object === null || typeof object !== 'object') return []
  const { kind, metadata, items } = object as KubeObject
  const namespace = typeof metadata?.namespace === 'string' ? metadata.namespace : undefined
  const owner = `${String(kind)} ${namespace ? `${namespace}/` : ''}${String(metadata?.name ?? '(unnamed)')}`
  if (kind === 'List' && Array.isArray(items))
    return items.flatMap((item, i) => findTemplates(item, [...path, 'items', i]))
  if (kind === 'Pod') return [{ path, owner, namespace }]
  if (typeof kind === 'string' && WORKLOADS.has(kind))
    return [{ path: [...path, 'spec', 'template'], owner, namespace }]
  if (kind === 'CronJob')
    return [{ path: [...path, 'spec', 'jobTemplate', 'spec', 'template'], owner, namespace }]
  return []
}

/** The value at `path` in a plain object, or undefined where the path leads nowhere. */
export function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object'
        ? (node as Record<string | number, unknown>)[key]
        : undefined,
    value,
  )
}
