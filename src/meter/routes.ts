// The `route` label: the configured path template that a request's path matches, else `other`.
// Labels only ever come from the configuration, so a client sending a million distinct paths
// still produces at most one series per template, plus `other`.

/** The label of requests that match no configured template (or when none are configured). */
export const OTHER_ROUTE = 'other'

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/
// RFC 3986 pchar without ':' (it starts a parameter), '*' (the wildcard) and ',' (it separates
// templates in one --route value).
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+;=@%]+$/
const MAX_TEMPLATE_LENGTH = 200

/**
 * Why a template is not usable, or undefined if it is. Templates are paths whose segments are
 * literals, `:name` (exactly one non-empty segment) or a final `*` (any rest, including none).
 */
export function checkRoute(template: string): string | undefined {
  if (!template.startsWith('/')) return 'must start with /'
  if (template.length > MAX_TEMPLATE_LENGTH) return `is longer than ${MAX_TEMPLATE_LENGTH}`
  const segments = template.slice(1).split('/')
  for (const [i, segment] of segments.entries()) {
    const problem = checkSegment(segment, i === segments.length - 1)
    if (problem) return problem
  }
  return undefined
}

function checkSegment(segment: string, last: boolean): string | undefined {
  if (segment === '*' || segment === '')
    return last ? undefined : segment === '*' ? 'may only have * as its last segment' : 'has //'
  if (segment.startsWith(':'))
    return PARAM.test(segment)
      ? undefined
      : `has a parameter "${segment}" that is not :name (letters, digits, _)`
  return LITERAL.test(segment)
    ? undefined
    : `has a segment "${segment}" with characters a path template cannot hold`
}

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
