// Path templates for the meter's `route` label, a rule of neither program alone: the meter checks
// each template of its --route flags by it, and the webhook each one in a Pod's
// `patterns/metrics.routes`, so that the webhook admits no template the meter would refuse.

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
