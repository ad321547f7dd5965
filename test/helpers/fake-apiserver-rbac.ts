// What RBAC authorizes a recorded request as (k8s.io/apiserver's RequestInfo): the verb, the API
// group, the resource, and the namespace and name when the path has them, so tests can compare
// the requests the code makes with the rules of its Role and ClusterRole.
import type { RecordedRequest } from './fake-apiserver.ts'
import { queryBool } from './fake-apiserver-http.ts'

export interface Authorization {
  verb: string
  /** '' for the core group. */
  apiGroup: string
  resource: string
  namespace?: string
  /** What a rule's resourceNames can restrict; create and list carry none. */
  name?: string
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' }

/** The authorization attributes of a request to a resource path (/api/v1/..., /apis/g/v/...). */
export function authorizationOf(request: RecordedRequest): Authorization {
  const parts = request.path.split('/').filter(Boolean)
  const [root, ...rest] = parts
  const apiGroup = root === 'apis' ? (rest.shift() ?? '') : ''
  rest.shift() // the version
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3
  const [namespace, resource = '', name] = namespaced ? rest.slice(1) : [undefined, ...rest]
  return {
    verb: verbOf(request.method, name !== undefined, queryBool(request.query.watch)),
    apiGroup,
    resource,
    ...(namespace !== undefined && { namespace }),
    ...(name !== undefined && { name }),
  }
}

// RequestInfoFactory.NewRequestInfo (k8s.io/apiserver pkg/endpoints/request/requestinfo.go): a GET
// without a name is a list, or a watch when ?watch reads as true; a GET with a name stays a get.
function verbOf(method: string, named: boolean, watch: boolean): string {
  if (method === 'GET') return named ? 'get' : watch ? 'watch' : 'list'
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection'
  return VERBS[method] ?? method.toLowerCase()
}
