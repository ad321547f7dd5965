// What explain is asked about, made into Pods as the API server would receive them: the Pods and
// Pod templates of a YAML stream (as `inject` finds them), or one object read from the cluster.
import { parseAllDocuments } from 'yaml'
import type { UserInfo } from '../apiserver/attributes.ts'
import type { RestClient } from '../kube/rest.ts'
import { namespacesIn } from '../offline/namespaces.ts'
import { findTemplates, type Path, type TemplateSite, valueAt } from '../offline/templates.ts'
import { clusterNamespace, inputNamespace, type NamespaceView } from './namespace-view.ts'
import { type Holder, podFromTemplate, podInNamespace } from './pod-from-template.ts'

/** One Pod to explain, with what the API server knows at its CREATE. */
export interface Target {
  subject: string
  pod: unknown
  namespace: NamespaceView
  userInfo: UserInfo
}

// The controllers of kube-controller-manager create a workload's Pods, each with its own service
// account (--use-service-account-credentials, which kubeadm and managed clusters set): the user
// a matchCondition reading request.userInfo sees (pkg/controller/.../*_controller.go name them;
// cmd/kube-controller-manager/app/*.go pass ClientOrDie("replicaset-controller") and so on).
const CREATORS: Readonly<Record<string, string>> = {
  Deployment: 'replicaset-controller',
  ReplicaSet: 'replicaset-controller',
  StatefulSet: 'statefulset-controller',
  DaemonSet: 'daemon-set-controller',
  Job: 'job-controller',
  CronJob: 'job-controller',
  ReplicationController: 'replication-controller',
}

/** Who creates Pods of an object of `kind`; a Pod's creator is not known. */
export function creatorOf(kind: unknown): UserInfo {
  const controller = typeof kind === 'string' ? CREATORS[kind] : undefined
  if (controller === undefined) return { username: '' }
  return {
    username: `system:serviceaccount:kube-system:${controller}`,
    groups: [
      'system:serviceaccounts',
      'system:serviceaccounts:kube-system',
      'system:authenticated',
    ],
  }
}

/** The Pods of a YAML stream; Namespace objects in it stand for the cluster's. */
export function fileTargets(text: string, defaultNamespace: string): Target[] {
  const docs = parseAllDocuments(text)
  const list = Array.isArray(docs) ? docs : []
  const error = list.flatMap((doc) => doc.errors)[0]
  if (error) throw new Error(error.message.split('\n')[0])
  const objects: unknown[] = list.map((doc) => doc.toJS())
  const namespaces = namespacesIn(objects)
  return objects.flatMap((object) =>
    findTemplates(object).map((site) => {
      const name = site.namespace ?? defaultNamespace
      return target(object, site, inputNamespace(name, namespaces.get(name)))
    }),
  )
}

// The Pod at `site`: a Pod as written, or the one the holder's controller makes of its template.
function target(object: unknown, site: TemplateSite, namespace: NamespaceView): Target {
  const holder = holderOf(object, site.path)
  const found = valueAt(object, site.path)
  const isPod = holder?.kind === 'Pod'
  return {
    subject: isPod ? site.owner : `${site.owner} (Pod template)`,
    pod: isPod
      ? podInNamespace(found, namespace.name)
      : podFromTemplate(found, holder ?? { kind: '' }, namespace.name),
    namespace,
    userInfo: creatorOf(holder?.kind),
  }
}

// The object nearest the Pod along its path that names a kind: the Pod itself, or the workload
// that holds the template (a CronJob, not its job template, which names none).
function holderOf(object: unknown, path: Path): Holder | undefined {
  for (let end = path.length; end >= 0; end--) {
    const found = valueAt(object, path.slice(0, end)) as Partial<Holder> | undefined
    if (typeof found?.kind === 'string') return found as Holder
  }
  return undefined
}

interface Resource {
  kind: string
  path: string
}

const PODS: Resource = { kind: 'Pod', path: '/api/v1/namespaces/{ns}/pods' }
const APPS = '/apis/apps/v1/namespaces/{ns}'
const BATCH = '/apis/batch/v1/namespaces/{ns}'
// The names kubectl takes for the kinds that hold Pods (its short names and plurals included).
const RESOURCES: Readonly<Record<string, Resource>> = {
  pod: PODS,
  pods: PODS,
  po: PODS,
  ...aliases(['deployment', 'deployments', 'deploy'], 'Deployment', `${APPS}/deployments`),
  ...aliases(['statefulset', 'statefulsets', 'sts'], 'StatefulSet', `${APPS}/statefulsets`),
  ...aliases(['daemonset', 'daemonsets', 'ds'], 'DaemonSet', `${APPS}/daemonsets`),
  ...aliases(['replicaset', 'replicasets', 'rs'], 'ReplicaSet', `${APPS}/replicasets`),
  ...aliases(['job', 'jobs'], 'Job', `${BATCH}/jobs`),
  ...aliases(['cronjob', 'cronjobs', 'cj'], 'CronJob', `${BATCH}/cronjobs`),
}

function aliases(names: readonly string[], kind: string, path: string) {
  return Object.fromEntries(names.map((name) => [name, { kind, path }]))
}

/** Checks `KIND/NAME` (deploy/web, pod/web-5d8f9c-x2x7q); the error says what is expected. */
export function parseReference(reference: string): { resource: Resource; name: string } | string {
  const [type = '', name = '', ...rest] = reference.split('/')
  const resource = RESOURCES[type.toLowerCase()]
  if (!resource || !name || rest.length)
    return `${JSON.stringify(reference)} is not KIND/NAME with KIND one of pod, deployment, statefulset, daemonset, replicaset, job, cronjob (or kubectl's short names)`
  return { resource, name }
}

/** The Pods of the object `reference` in namespace `namespace` of the cluster. */
export async function clusterTargets(
  rest: RestClient,
  reference: { resource: Resource; name: string },
  namespace: string,
): Promise<Target[]> {
  const { resource, name } = reference
  const base = resource.path.replace('{ns}', encodeURIComponent(namespace))
  const object = await rest.get(`${base}/${encodeURIComponent(name)}`)
  if (object === undefined) throw new Error(`${resource.kind} ${namespace}/${name} not found`)
  const view = clusterNamespace(
    namespace,
    await rest.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`),
  )
  // The API server sends an object's kind with a single GET; the fallback covers a proxy that
  // strips it.
  const typed = { kind: resource.kind, ...(object as object) }
  return findTemplates(typed).map((site) => target(typed, site, view))
}
