// Path templates for the meter's `route` label, a rule of neither program alone: the meter reads
// its --route flags by it, and the webhook a Pod's `patterns/metrics.routes`, so that the webhook
// admits exactly the lists the meter starts with, never one that would stop it at start.
import { quote } from './quote.ts'

// Every route multiplies the number of series; past a hundred the label stops being a summary.
export const MAX_ROUTES = 100
export const MAX_TEMPLATE_LENGTH = 200
// Checked before anything is split, so that a long value costs nothing; room for a hundred
// templates of forty characters, and for a few of the longest.
export const MAX_ROUTES_LENGTH = 4096

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/
// RFC 3986 pchar without ':' (it starts a parameter), '*' (the wildcard) and ',' (it separates
// templates in one --route value).
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+;=@%]+$/

export type RouteList = { ok: true; routes: string[] } | { ok: false; errors: string[] }

/**
 * The templates of comma-separated lists, in order, or every problem with them: at most
 * MAX_ROUTES_LENGTH characters in all, at most MAX_ROUTES templates, none twice, each usable
 * (checkRoute). Blanks around commas and empty items are ignored.
 */
export function parseRoutes(values: readonly string[]): RouteList {
  const length = values.reduce((sum, value) => sum + value.length, 0)
  if (length > MAX_ROUTES_LENGTH)
    return {
      ok: false,
      errors: [`at most ${MAX_ROUTES_LENGTH} characters of templates, got ${length}`],
    }
  const routes = values
    .flatMap((value) => value.split(',').map((item) => item.trim()))
    .filter(Boolean)
  if (routes.length > MAX_ROUTES)
    return { ok: false, errors: [`at most ${MAX_ROUTES} routes, got ${routes.length}`] }
  const errors: string[] = []
  const seen = new Set<string>()
  for (const template of routes) {
    const problem = checkRoute(template)
    if (problem) errors.push(`${quote(template)} ${problem}`)
    else if (seen.has(template)) errors.push(`${quote(template)} is given twice`)
    seen.add(template)
  }
  return errors.length ? { ok: false, errors } : { ok: true, routes }
}

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
      : `has a parameter ${quote(segment)} that is not :name (letters, digits, _)`
  return LITERAL.test(segment)
    ? undefined
    : `has a segment ${quote(segment)} with characters a path template cannot hold`
}
