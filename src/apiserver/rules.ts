// Whether a webhook rule matches a request, restated from k8s.io/apiserver
// pkg/admission/plugin/webhook/predicates/rules/rules.go (Matcher.Matches): scope, operation,
// group, version and resource must all match; "*" matches anything; a resource is
// "name[/subresource]", where "pods" matches no subresource and "pods/*" every one.
import type { Attributes } from './attributes.ts'

export interface Rule {
  operations: string[]
  apiGroups: string[]
  apiVersions: string[]
  resources: string[]
  /** Defaulted to "*" (kubernetes pkg/apis/admissionregistration/v1/defaults.go SetDefaults_Rule). */
  scope?: string
}

/** Whether `rule` selects the request described by `attr`. */
export function ruleMatches(rule: Rule, attr: Attributes): boolean {
  return (
    scopeMatches(rule.scope ?? '*', attr) &&
    rule.operations.some((op) => op === '*' || op === attr.operation) &&
    exactOrWildcard(rule.apiGroups, attr.resource.group) &&
    exactOrWildcard(rule.apiVersions, attr.resource.version) &&
    rule.resources.some((entry) => {
      const [resource, sub = ''] = splitResource(entry)
      return (
        (resource === '*' || resource === attr.resource.resource) &&
        (sub === '*' || sub === attr.subResource)
      )
    })
  )
}

function exactOrWildcard(items: readonly string[], requested: string): boolean {
  return items.some((item) => item === '*' || item === requested)
}

// strings.SplitN(resSub, "/", 2)
function splitResource(entry: string): [string, string?] {
  const slash = entry.indexOf('/')
  return slash < 0 ? [entry] : [entry.slice(0, slash), entry.slice(slash + 1)]
}

function scopeMatches(scope: string, attr: Attributes): boolean {
  const isNamespace = attr.resource.group === '' && attr.resource.resource === 'namespaces'
  switch (scope) {
    case '*':
      return true
    case 'Namespaced':
      return !isNamespace && attr.namespace !== ''
    case 'Cluster':
      return isNamespace || attr.namespace === ''
    default:
      return false
  }
}
