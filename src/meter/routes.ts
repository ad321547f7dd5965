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
    // Only origin-form targets (RFC 9112 section 3.2.1) have a path to match; the query is not
    // part of it.
    if (target.charCodeAt(0) !== 47 /* / */) return OTHER_ROUTE
    const query = target.indexOf('?')
    const path = query === -1 ? target : target.slice(0, query)
    for (const { template, pattern } of compiled) if (pattern.test(path)) return template
    return OTHER_ROUTE
  }
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
