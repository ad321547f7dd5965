// The Pod a workload's controller creates from its Pod template, as the webhook sees it: a
// template alone has no name, no namespace and maybe no metadata at all, and a matchCondition such
// as `has(object.metadata.annotations)` fails on an object without metadata, where the API server
// never sees one.
//
// kubernetes pkg/controller/controller_utils.go GetPodFromTemplate: the template's labels,
// annotations and finalizers, generateName "<parent>-", the controller's ownerReference and the
// template's spec; StatefulSets name each Pod "<set>-<ordinal>" instead
// (pkg/controller/statefulset/stateful_set_utils.go newStatefulSetPod). The API server sets the
// request's namespace on the object before admission (k8s.io/apiserver
// pkg/endpoints/handlers/create.go: EnsureObjectNamespaceMatchesRequestNamespace, then Admit).

/** The object that holds a template: its kind, apiVersion and metadata. */
export interface Holder {
  kind: string
  apiVersion?: string
  metadata?: { name?: string; uid?: string }
}

interface Template {
  metadata?: {
    labels?: Record<string, string>
    annotations?: Record<string, string>
    finalizers?: string[]
  }
  spec?: unknown
}

// Deployments and CronJobs create their Pods through a ReplicaSet or a Job made later, whose name
// (a hash, a schedule time) is not known here: their Pods get no ownerReference.
const DIRECT_PARENTS = new Set([
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'ReplicationController',
])

/** The Pod `holder`'s controller would create in `namespace` from `template`. */
export function podFromTemplate(template: unknown, holder: Holder, namespace: string): unknown {
  const { metadata = {}, spec } = (template ?? {}) as Template
  const parent = holder.metadata?.name ?? ''
  const name =
    holder.kind === 'StatefulSet' ? { name: `${parent}-0` } : { generateName: `${parent}-` }
  const owner = DIRECT_PARENTS.has(holder.kind)
    ? {
        ownerReferences: [
          {
            apiVersion: holder.apiVersion ?? '',
            kind: holder.kind,
            name: parent,
            uid: holder.metadata?.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      }
    : {}
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...name,
      namespace,
      ...(metadata.labels && { labels: metadata.labels }),
      ...(metadata.annotations && { annotations: metadata.annotations }),
      ...(metadata.finalizers && { finalizers: metadata.finalizers }),
      ...owner,
    },
    spec,
  }
}

/** A Pod as written, placed in the namespace it is created in. */
export function podInNamespace(pod: unknown, namespace: string): unknown {
  if (pod === null || typeof pod !== 'object') return pod
  const { metadata } = pod as { metadata?: object }
  return { ...pod, metadata: { ...metadata, namespace } }
}
