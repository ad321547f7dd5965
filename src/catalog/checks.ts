// Checks a catalog entry beyond its schema: references between its parts, parameter definitions,
// and placeholders. Each problem comes with the JSON pointer of the field at fault.
import type { ParamDefinition, SidecarDefinition } from './format.ts'
import { toSpec } from './param-types.ts'
import { placeholders, wholePlaceholder } from './render.ts'

export interface CatalogError {
  /** JSON pointer into the file, e.g. /sidecars/2/params/port/default. */
  pointer: string
  message: string
}

/** Every problem of one sidecar definition found at `base` (e.g. /sidecars/0). */
export function checkSidecar(definition: SidecarDefinition, base: string): CatalogError[] {
  const params = definition.params ?? {}
  return [
    ...Object.entries(params).flatMap(([name, p]) => checkParam(p, `${base}/params/${name}`)),
    ...checkPlaceholders(definition, base),
    ...checkPorts(definition, base),
    ...checkProxy(definition, base),
    ...checkVolumes(definition, base),
  ]
}

/** The problems of one parameter definition found at `at`, beyond its schema. */
export function checkParam(p: ParamDefinition, at: string): CatalogError[] {
  const errors = optionErrors(p)
  const result =
    errors.length || p.default === undefined ? undefined : toSpec(p).validate(String(p.default))
  if (result && !result.ok) errors.push(`default ${result.error}`)
  return errors.map((message) => ({ pointer: at, message }))
}

// Options that belong to some types only, and contradictions between them.
function optionErrors(p: ParamDefinition): string[] {
  const errors: string[] = []
  if (p.required && p.default !== undefined) errors.push('a required parameter has no default')
  if ((p.type === 'enum') !== (p.values !== undefined))
    errors.push('values go with type enum, and only with it')
  if (p.pattern !== undefined && p.type !== 'string')
    errors.push('pattern goes with type string only')
  const bounded = p.minimum !== undefined || p.maximum !== undefined
  if (bounded && p.type !== 'integer') errors.push('minimum and maximum go with type integer only')
  if (p.pattern !== undefined && !isRegExp(p.pattern)) {
    errors.push(`pattern ${JSON.stringify(p.pattern)} is not a regular expression`)
  }
  return errors
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern)
    return true
  } catch {
    return false
  }
}

interface Use {
  pointer: string
  name: string
  inListItem: boolean
}

// Every `{{name}}` in the templates, and whether it sits inside a list item (where an unset
// optional parameter leaves the item out) or not (where it would leave a hole).
function uses(node: unknown, pointer: string, inListItem: boolean): Use[] {
  if (typeof node === 'string')
    return placeholders(node).map((name) => ({ pointer, name, inListItem }))
  if (Array.isArray(node)) return node.flatMap((item, i) => uses(item, `${pointer}/${i}`, true))
  if (node !== null && typeof node === 'object') {
    return Object.entries(node).flatMap(([key, value]) =>
      uses(value, `${pointer}/${key}`, inListItem),
    )
  }
  return []
}

function checkPlaceholders(definition: SidecarDefinition, base: string): CatalogError[] {
  const all = [
    ...uses(definition.container, `${base}/container`, false),
    ...uses(definition.init ?? {}, `${base}/init`, false),
    ...(definition.volumes ?? []).flatMap((v, i) => uses(v, `${base}/volumes/${i}`, false)),
  ]
  return all.flatMap((use) => {
    const message = placeholderError(use, definition, `${base}/container/image`)
    return message ? [{ pointer: use.pointer, message }] : []
  })
}

function placeholderError(
  use: Use,
  definition: SidecarDefinition,
  imagePointer: string,
): string | undefined {
  const { name } = use
  if (name === 'self.image') {
    return use.pointer === imagePointer
      ? undefined
      : '{{self.image}} belongs in container.image only'
  }
  if (name === 'upstream')
    return definition.proxy ? undefined : '{{upstream}} needs a proxy section'
  const param = definition.params?.[name]
  if (!param) return `{{${name}}} is not a parameter of ${definition.name}`
  const optional = !param.required && param.default === undefined
  return optional && !use.inListItem
    ? `optional parameter {{${name}}} can only be used inside a list item, which is left out when it is unset`
    : undefined
}

// containerPort must render to a number: a literal, or exactly {{p}} with p a port or an integer.
function checkPorts(definition: SidecarDefinition, base: string): CatalogError[] {
  const params = definition.params ?? {}
  return (definition.container.ports ?? []).flatMap((port, i): CatalogError[] => {
    if (typeof port.containerPort === 'number') return []
    const name = wholePlaceholder(port.containerPort) ?? ''
    const type = params[name]?.type
    return type === 'port' || type === 'integer'
      ? []
      : [
          {
            pointer: `${base}/container/ports/${i}/containerPort`,
            message: 'must be a number or exactly {{param}} of a port parameter',
          },
        ]
  })
}

function checkProxy(definition: SidecarDefinition, base: string): CatalogError[] {
  const { proxy, params = {} } = definition
  if (!proxy) return []
  const errors: CatalogError[] = []
  if (params[proxy.appPort]?.type !== 'port-ref') {
    errors.push({
      pointer: `${base}/proxy/appPort`,
      message: `${proxy.appPort} must be a parameter of type port-ref`,
    })
  }
  const listen = params[proxy.listen]
  if (listen?.type !== 'port' || (!listen.required && listen.default === undefined)) {
    errors.push({
      pointer: `${base}/proxy/listen`,
      message: `${proxy.listen} must be a parameter of type port, required or with a default`,
    })
  }
  if (!uses(definition.container, '', false).some((u) => u.name === 'upstream')) {
    errors.push({ pointer: `${base}/container`, message: 'a proxy must forward to {{upstream}}' })
  }
  return [...errors, ...checkProtocols(proxy, params, base)]
}

type Proxy = NonNullable<SidecarDefinition['proxy']>

// The protocol parameter is filled with the app port's protocol when the Pod does not set it
// (src/injection/protocol.ts), so it can have no default, and can only name what the proxy handles.
function checkProtocols(
  proxy: Proxy,
  params: Readonly<Record<string, ParamDefinition>>,
  base: string,
): CatalogError[] {
  const protocols = proxy.protocols ?? ['http']
  const errors: CatalogError[] = []
  const repeated = protocols.filter((p, i) => protocols.indexOf(p) !== i)
  if (repeated.length)
    errors.push({
      pointer: `${base}/proxy/protocols`,
      message: `lists ${repeated.join(', ')} more than once`,
    })
  if (proxy.protocol === undefined) return errors
  const param = params[proxy.protocol]
  const values = param?.values ?? []
  const foreign = values.filter((v) => !(protocols as readonly string[]).includes(v))
  if (param?.type !== 'enum' || param.required || param.default !== undefined || foreign.length)
    errors.push({
      pointer: `${base}/proxy/protocol`,
      message: `${proxy.protocol} must be an optional enum parameter without a default, whose values are among proxy.protocols (${protocols.join(', ')})`,
    })
  return errors
}

function checkVolumes(definition: SidecarDefinition, base: string): CatalogError[] {
  const volumes = definition.volumes ?? []
  return volumes.flatMap((v, i): CatalogError[] => {
    const errors: CatalogError[] = []
    const sources = [v.emptyDir, v.configMap, v.secret].filter((s) => s !== undefined)
    if (sources.length !== 1)
      errors.push({
        pointer: `${base}/volumes/${i}`,
        message: 'needs exactly one of emptyDir, configMap, secret',
      })
    if (volumes.findIndex((w) => w.name === v.name) !== i)
      errors.push({
        pointer: `${base}/volumes/${i}/name`,
        message: `volume ${v.name} is defined twice`,
      })
    return errors
  })
}
