// Catalog parameter types, each backed by a validator from the table in injection/validators.ts.
import type { ParamSpec } from '../injection/sidecar.ts'
import {
  boolean,
  duration,
  emailDomain,
  gitRef,
  gitRepository,
  integer,
  loopbackUrl,
  mountPath,
  objectName,
  oneOf,
  port,
  portRef,
  routeTemplates,
  text,
  type Validator,
} from '../injection/validators.ts'
import type { ParamDefinition } from './format.ts'

export type ParamType = ParamDefinition['type']

const fixed: Partial<Record<ParamType, Validator<unknown>>> = {
  boolean,
  port,
  'port-ref': portRef,
  duration,
  path: mountPath,
  'git-repository': gitRepository,
  'git-ref': gitRef,
  'loopback-url': loopbackUrl,
  'object-name': objectName,
  'email-domain': emailDomain,
  'route-templates': routeTemplates,
}

/** The validator a parameter definition asks for; `string`, `integer` and `enum` take options. */
export function validatorFor(definition: ParamDefinition): Validator<unknown> {
  switch (definition.type) {
    case 'string':
      return text(
        definition.pattern === undefined ? undefined : new RegExp(`^(?:${definition.pattern})$`),
      )
    case 'integer':
      return integer(definition.minimum, definition.maximum)
    case 'enum':
      return oneOf(definition.values ?? [])
    default:
      return fixed[definition.type] ?? text()
  }
}

/** Types whose values render as JSON numbers when a field is exactly `{{param}}`. */
export function isNumeric(type: ParamType): boolean {
  return type === 'port' || type === 'integer'
}

/** A definition as the injection code sees it: a validator and whether it is required. */
export function toSpec(definition: ParamDefinition): ParamSpec<unknown> {
  const validate = validatorFor(definition)
  const summary = definition.summary ?? ''
  if (definition.required) return { summary, validate, presence: 'required' }
  if (definition.default !== undefined) {
    return { summary, validate, presence: 'defaulted', default: String(definition.default) }
  }
  return { summary, validate, presence: 'optional' }
}
