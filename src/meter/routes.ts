// The `route` label: the configured path template that a request's path matches, else `other`.
// Labels only ever come from the configuration, so a client sending a million distinct paths
// still produces at most one series per template, plus `other`. Templates are checked before
// they get here, by the rule the webhook checks too (src/shared/route-templates.ts).

/** The label of requests that match no configured template (or when none are configured). */
export const OTHER_ROUTE = 'other'

/** The route label of a request target. */
export type RouteMatcher = (target: string) => string

/** Compiles checked templates into a matcher; the first template that matches wins. */
export function compileRoutes(templates: readonly string[]): RouteMatcher {
  if (templates.length === 0) return () => OTHER_ROUTE
  const compiled = templates.map((template) => ({ template, pattern: toPattern(template) }))
  return (target) => {
    const path = pathOf(target)
    if (path === undefined) return OTHER_ROUTE
    for (const { template, pattern } of compiled) if (pattern.test(path)) return template
    return OTHER_ROUTE
  }
}

// The scheme and authority of an absolute-form target; the authority ends at the path, the
// query or a fragment (RFC 3986 section 3.2).
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i

/**
 * The path of a request target, without its query (RFC 9112 section 3.2): that of an origin-form
 * target (`/a/b?q`), or of an absolute-form one (`http://host/a/b?q`, which clients send to
 * proxies, and which the meter forwards as any other: the same request must count the same).
 * The authority form (CONNECT) and the asterisk form (`OPTIONS *`) have none.
 */
function pathOf(target: string): string | undefined {
  let path = target
  if (target.charCodeAt(0) !== 47 /* / */) {
    const prefix = ABSOLUTE_FORM.exec(target)
    if (!prefix) return undefined
    path = target.slice(prefix[0].length)
    // An empty path is / (RFC 9110 section 4.2.3).
    if (path === '' || path.charCodeAt(0) !== 47) path = `/${path}`
  }
  const query = path.indexOf('?')
  return query === -1 ? path : path.slice(0, query)
}

function toPattern(template: string): RegExp {
  const segments = template.slice(1).split('/')
  const wildcard = segments.at(-1) === '*'
  const fixed = wildcard ? segments.slice(0, -1) : segments
  const body = fixed
    .map((segment) => (segment.startsWith(':') ? '/[^/]+' : `/${escapeRegExp(segment)}`))
    .join('')
  return new RegExp(`^${body}${wildcard ? '(?:/.*)?' : ''}$`)
}

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
