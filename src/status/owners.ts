// The workload a Pod belongs to, through controller ownerReferences as kube-controller-manager
// sets them: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, Pod -> StatefulSet or
// DaemonSet. Each intermediate object is read once per run however many Pods it owns.
import type { RestClient } from '../kube/rest.ts'

/** A workload (or a Pod of its own), as `kubectl` names it: kind and name. */
export interface Owner {
  kind: string
  name: string
}

interface OwnerReference {
  apiVersion?: string
  kind?: string
  name?: string
  controller?: boolean
}

interface Meta {
  metadata?: { name?: string; ownerReferences?: OwnerReference[] }
}

// Where an owner's own owner is read from: only kinds that are themselves owned by a workload.
const OWNED: Readonly<Record<string, string>> = {
  ReplicaSet: '/apis/apps/v1/namespaces/{ns}/replicasets/{name}',
  Job: '/apis/batch/v1/namespaces/{ns}/jobs/{name}',
}

/** The controller reference of an object, if it has one. */
export function controllerOf(object: unknown): Owner | undefined {
  const references = (object as Meta | null)?.metadata?.ownerReferences
  const controller = Array.isArray(references)
    ? references.find((r) => r?.controller === true)
    : undefined
  if (typeof controller?.kind !== 'string' || typeof controller.name !== 'string') return undefined
  return { kind: controller.kind, name: controller.name }
}

/** Resolves Pods to their top workload, reading each intermediate object at most once. */
export function ownerResolver(
  rest: RestClient,
): (namespace: string, pod: unknown) => Promise<Owner> {
  const cache = new Map<string, Promise<Owner>>()
  const resolve = (namespace: string, owner: Owner): Promise<Owner> => {
    const template = OWNED[owner.kind]
    if (template === undefined) return Promise.resolve(owner)
    const key = `${namespace}/${owner.kind}/${owner.name}`
    let found = cache.get(key)
    if (!found) {
      const path = template
        .replace('{ns}', encodeURIComponent(namespace))
        .replace('{name}', encodeURIComponent(owner.name))
      // A ReplicaSet or Job gone since the Pod was listed is the owner itself.
      found = rest.get(path).then((object) => {
        const next = controllerOf(object)
        return next ? resolve(namespace, next) : owner
      })
      cache.set(key, found)
    }
    return found
  }
  return (namespace, pod) => {
    const direct = controllerOf(pod)
    const name = (pod as Meta | null)?.metadata?.name ?? ''
    return direct ? resolve(namespace, direct) : Promise.resolve({ kind: 'Pod', name })
  }
}
