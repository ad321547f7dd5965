// What the API server knows of one request while it runs admission (admission.Attributes in
// k8s.io/apiserver pkg/admission/attributes.go), as plain JSON.

// biome-ignore lint/suspicious/noExplicitAny: objects under admission are walked as plain JSON
export type Json = any

export interface GroupVersionResource {
  group: string
  version: string
  resource: string
}

export interface GroupVersionKind {
  group: string
  version: string
  kind: string
}

export interface UserInfo {
  username: string
  uid?: string
  groups?: string[]
}

export interface Attributes {
  resource: GroupVersionResource
  subResource: string
  kind: GroupVersionKind
  /** '' for cluster-scoped objects. */
  namespace: string
  /** '' for an object created with generateName: the name is made after admission. */
  name: string
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'
  object: Json | null
  oldObject: Json | null
  dryRun: boolean
  userInfo: UserInfo
}

export const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' }
export const POD_KIND: GroupVersionKind = { group: '', version: 'v1', kind: 'Pod' }

/** The attributes of a Pod CREATE in `namespace` by `userInfo`, as create.go hands them over. */
export function podCreate(
  namespace: string,
  object: Json,
  options: { dryRun?: boolean; userInfo: UserInfo },
): Attributes {
  return {
    resource: PODS,
    subResource: '',
    kind: POD_KIND,
    namespace,
    name: object?.metadata?.name ?? '',
    operation: 'CREATE',
    object,
    oldObject: null,
    dryRun: options.dryRun ?? false,
    userInfo: options.userInfo,
  }
}

/**
 * admissionv1.AdmissionRequest as JSON, without uid, object and oldObject: what
 * CreateAdmissionRequest binds to CEL's `request` (pkg/admission/plugin/cel/condition.go) and
 * CreateV1AdmissionReview completes for the webhook (plugin/webhook/request/admissionreview.go).
 * Fields tagged omitempty are left out when empty; dryRun is a pointer, so always there.
 */
export function admissionRequest(attr: Attributes): Json {
  return {
    kind: attr.kind,
    resource: attr.resource,
    ...(attr.subResource && { subResource: attr.subResource }),
    requestKind: attr.kind,
    requestResource: attr.resource,
    ...(attr.subResource && { requestSubResource: attr.subResource }),
    ...(attr.name && { name: attr.name }),
    ...(attr.namespace && { namespace: attr.namespace }),
    operation: attr.operation,
    userInfo: { ...attr.userInfo, extra: {} },
    dryRun: attr.dryRun,
    options: {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'CreateOptions',
      ...(attr.dryRun && { dryRun: ['All'] }),
    },
  }
}
