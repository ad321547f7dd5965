// Fills a catalog template with parameter values. Values are substituted once and never read
// again as a template: a value that contains `{{x}}` stays that text.
//
// A template is compiled once, when the catalog loads, into a function of the values: every
// review renders the same few templates, and walking them anew each time was a third of a
// review's CPU. Parts without placeholders are built once, frozen, and shared by every rendered
// copy; frozen, since a Pod that is patched with them must never change what the next Pod gets.
//
// The kubelet rewrites some fields before the program sees them: it expands `$(VAR)` with the
// container's variables and turns `$$` into `$` (k8s.io/kubernetes
// third_party/forked/golang/expansion/expand.go) in command and args, in env values, and in an
// exec probe's command. A value validated as `/$(KUBERNETES_PORT)` would reach the sidecar as
// `/tcp://10.96.0.1:443`; so a value put into one of those fields has each `$` doubled, which the
// kubelet undoes. The template's own text is left alone: its author may mean `$(POD_IP)`.

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

// Where in a container the kubelet expands `$(VAR)`, `*` standing for any list index. Not in
// workingDir, image, names, envFrom, valueFrom or httpGet: the kubelet passes those on as written.
// If format.ts ever admits more fields: volumeMounts' subPathExpr is expanded too, and would
// belong here; lifecycle hooks' exec commands are not, and would not.
const EXPANDED: readonly (readonly string[])[] = [
  ['command', '*'],
  ['args', '*'],
  ['env', '*', 'value'],
  ...['readinessProbe', 'livenessProbe', 'startupProbe'].map((p) => [p, 'exec', 'command', '*']),
]

/** A path into a template: field names, and `*` for a list item. */
type Path = readonly string[]

const isExpanded = (path: Path) =>
  EXPANDED.some((e) => e.length === path.length && e.every((key, i) => key === path[i]))

/** `text` written so that the kubelet's expansion gives it back unchanged. */
const escapeExpansion = (text: string) => text.replaceAll('$', () => '$$')

/**
 * Compiles a JSON-shaped template. A port field that is exactly `{{p}}` takes p's value with its
 * type; an item of a list that uses a parameter left unset is left out; a value in a field the
 * kubelet expands is escaped. `at` is where the template sits in a container, for a template of
 * a part of one (the init container's args: `['args']`).
 */
export function compileTemplate<T>(template: T, at: Path = []): Renderer<T> {
  const node = compileNode(template, at)
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

function compileNode(node: unknown, path: Path): Node {
  if (typeof node === 'string') return compileString(node, path)
  if (Array.isArray(node))
    return compileArray(node.map((item) => compileNode(item, [...path, '*'])))
  if (node !== null && typeof node === 'object') {
    const fields = Object.entries(node).map(
      ([k, value]) => [k, compileNode(value, [...path, k])] as const,
    )
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
function compileString(text: string, path: Path): Node {
  const names = placeholders(text)
  if (names.length === 0) return constant(text)
  const whole = wholePlaceholder(text)
  if (whole !== undefined && TYPED_FIELDS.has(path.at(-1) ?? ''))
    return { constant: false, render: (values) => values[whole] ?? OMIT }
  const literals = text.split(PLACEHOLDER).filter((_, i) => i % 2 === 0)
  const show = isExpanded(path) ? (value: Value) => escapeExpansion(String(value)) : String
  return {
    constant: false,
    render(values) {
      let rendered = literals[0] ?? ''
      for (let i = 0; i < names.length; i++) {
        const value = values[names[i] ?? '']
        if (value === undefined) return OMIT
        rendered += show(value) + (literals[i + 1] ?? '')
      }
      return rendered
    },
  }
}

/** Freezes an object and everything it holds, so that what is shared cannot be changed. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
