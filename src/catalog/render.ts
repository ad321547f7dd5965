// Fills a catalog template with parameter values. Values are substituted once and never read
// again as a template: a value that contains `{{x}}` stays that text.

/** A rendered value: parameters are strings, numbers or booleans once validated. */
export type Value = string | number | boolean
export type Values = Readonly<Record<string, Value | undefined>>

const PLACEHOLDER = /\{\{\s*([a-z0-9][a-z0-9.-]*)\s*\}\}/g
const WHOLE = /^\{\{\s*([a-z0-9][a-z0-9.-]*)\s*\}\}$/
const OMIT = Symbol('omit')

/** The parameter names a string refers to. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '')
}

/** The one parameter a string consists of, if it is exactly `{{param}}`. */
export function wholePlaceholder(text: string): string | undefined {
  return WHOLE.exec(text)?.[1]
}

// Fields whose value Kubernetes wants as a number (or a port name): `{{p}}` keeps p's type there.
// Everywhere else, args and env values included, values are text.
const TYPED_FIELDS = new Set(['containerPort', 'port'])

/**
 * Renders a JSON-shaped template. A port field that is exactly `{{p}}` takes p's value with its
 * type; an item of a list that uses a parameter left unset is left out.
 */
export function render<T>(template: T, values: Values): T {
  const rendered = renderNode(template, values, '')
  if (rendered === OMIT) throw new Error('a template outside any list used an unset parameter')
  return rendered as T
}

function renderNode(node: unknown, values: Values, key: string): unknown {
  if (typeof node === 'string') return renderString(node, values, TYPED_FIELDS.has(key))
  if (Array.isArray(node)) {
    return node.map((item) => renderNode(item, values, '')).filter((item) => item !== OMIT)
  }
  if (node !== null && typeof node === 'object') {
    const entries = Object.entries(node).map(
      ([k, value]) => [k, renderNode(value, values, k)] as const,
    )
    return entries.some(([, value]) => value === OMIT) ? OMIT : Object.fromEntries(entries)
  }
  return node
}

function renderString(text: string, values: Values, typed: boolean): Value | typeof OMIT {
  // Most template strings hold no placeholder; they are returned without running a pattern.
  if (!text.includes('{{')) return text
  const names = placeholders(text)
  if (names.some((name) => values[name] === undefined)) return OMIT
  const whole = wholePlaceholder(text)
  if (whole !== undefined && typed) return values[whole] as Value
  return text.replace(PLACEHOLDER, (_, name: string) => String(values[name]))
}
