// Fills a catalog template with parameter values. Values are substituted once and never read
// again as a template: a value that contains `{{x}}` stays that text.
//
// A template is compiled once, when the catalog loads, into a function of the values: every
// review renders the same few templates, and walking them anew each time was a third of a
// review's CPU. Parts without placeholders are built once, frozen, and shared by every rendered
// copy; frozen, since a Pod that is patched with them must never change what the next Pod gets.

/** A rendered value: parameters are strings, numbers or booleans once validated. */
export type Value = string | number | boolean
export type Values = Readonly<Record<string, Value | undefined>>

/** A compiled template: renders it with `values`. */
export type Renderer<T> = (values: Values) => T

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
 * Compiles a JSON-shaped template. A port field that is exactly `{{p}}` takes p's value with its
 * type; an item of a list that uses a parameter left unset is left out.
 */
export function compileTemplate<T>(template: T): Renderer<T> {
  const node = compileNode(template, '')
  return (values) => {
    const rendered = node.render(values)
    if (rendered === OMIT) throw new Error('a template outside any list used an unset parameter')
    return rendered as T
  }
}

interface Node {
  /** Whether the node holds no placeholder, so that it renders to `value` whatever the values. */
  constant: boolean
  value?: unknown
  render(values: Values): unknown
}

function constant(value: unknown): Node {
  const frozen = deepFreeze(value)
  return { constant: true, value: frozen, render: () => frozen }
}

function compileNode(node: unknown, key: string): Node {
  if (typeof node === 'string') return compileString(node, TYPED_FIELDS.has(key))
  if (Array.isArray(node)) return compileArray(node.map((item) => compileNode(item, '')))
  if (node !== null && typeof node === 'object') {
    const fields = Object.entries(node).map(([k, value]) => [k, compileNode(value, k)] as const)
    return compileObject(fields)
  }
  return constant(node)
}

function compileArray(items: readonly Node[]): Node {
  if (items.every((item) => item.constant)) return constant(items.map((item) => item.value))
  return {
    constant: false,
    render(values) {
      const rendered: unknown[] = []
      for (const item of items) {
        const value = item.render(values)
        if (value !== OMIT) rendered.push(value)
      }
      return rendered
    },
  }
}

function compileObject(fields: readonly (readonly [string, Node])[]): Node {
  if (fields.every(([, node]) => node.constant))
    return constant(Object.fromEntries(fields.map(([k, node]) => [k, node.value])))
  return {
    constant: false,
    render(values) {
      const rendered: Record<string, unknown> = {}
      for (const [k, node] of fields) {
        const value = node.render(values)
        if (value === OMIT) return OMIT
        rendered[k] = value
      }
      return rendered
    },
  }
}

// A string with placeholders is split once into its literal text and the parameters between.
function compileString(text: string, typed: boolean): Node {
  const names = placeholders(text)
  if (names.length === 0) return constant(text)
  const whole = wholePlaceholder(text)
  if (whole !== undefined && typed)
    return { constant: false, render: (values) => values[whole] ?? OMIT }
  const literals = text.split(PLACEHOLDER).filter((_, i) => i % 2 === 0)
  return {
    constant: false,
    render(values) {
      let rendered = literals[0] ?? ''
      for (let i = 0; i < names.length; i++) {
        const value = values[names[i] ?? '']
        if (value === undefined) return OMIT
        rendered += String(value) + (literals[i + 1] ?? '')
      }
      return rendered
    },
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
