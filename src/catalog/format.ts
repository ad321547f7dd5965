// The catalog file's format, checked strictly: every object refuses unknown keys, so a typo is
// an error with its path instead of a setting silently ignored.
import { type Static, Type } from 'typebox'
import type { NotApplicable } from '../injection/catalog.ts'
import { PROTOCOLS } from '../injection/protocol.ts'
import { MODES } from '../injection/sidecar.ts'

const strict = { additionalProperties: false } as const
const Str = Type.String({ maxLength: 4096 })
// A port is a number, a port name, or a `{{param}}` placeholder that renders to a number.
const PortValue = Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Str])
const Quantity = Type.Union([Str, Type.Number()])
const Scalar = Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()])

const Probe = Type.Object(
  {
    httpGet: Type.Optional(Type.Object({ path: Str, port: PortValue }, strict)),
    tcpSocket: Type.Optional(Type.Object({ port: PortValue }, strict)),
    exec: Type.Optional(Type.Object({ command: Type.Array(Str) }, strict)),
    initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    periodSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
    successThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  strict,
)

const KeyRef = Type.Object({ name: Str, key: Str, optional: Type.Optional(Type.Boolean()) }, strict)
const EnvVar = Type.Object(
  {
    name: Str,
    value: Type.Optional(Str),
    valueFrom: Type.Optional(
      Type.Object(
        {
          secretKeyRef: Type.Optional(KeyRef),
          configMapKeyRef: Type.Optional(KeyRef),
          fieldRef: Type.Optional(Type.Object({ fieldPath: Str }, strict)),
        },
        strict,
      ),
    ),
  },
  strict,
)
const EnvFrom = Type.Object(
  {
    secretRef: Type.Optional(Type.Object({ name: Str }, strict)),
    configMapRef: Type.Optional(Type.Object({ name: Str }, strict)),
    prefix: Type.Optional(Str),
  },
  strict,
)

const SecurityContext = Type.Object(
  {
    runAsUser: Type.Optional(Type.Integer({ minimum: 0 })),
    runAsGroup: Type.Optional(Type.Integer({ minimum: 0 })),
    runAsNonRoot: Type.Optional(Type.Boolean()),
    allowPrivilegeEscalation: Type.Optional(Type.Boolean()),
    readOnlyRootFilesystem: Type.Optional(Type.Boolean()),
    capabilities: Type.Optional(
      Type.Object(
        { drop: Type.Optional(Type.Array(Str)), add: Type.Optional(Type.Array(Str)) },
        strict,
      ),
    ),
    seccompProfile: Type.Optional(Type.Object({ type: Type.Literal('RuntimeDefault') }, strict)),
  },
  strict,
)

const Resources = Type.Object(
  {
    requests: Type.Optional(
      Type.Object({ cpu: Type.Optional(Quantity), memory: Type.Optional(Quantity) }, strict),
    ),
    limits: Type.Optional(
      Type.Object({ cpu: Type.Optional(Quantity), memory: Type.Optional(Quantity) }, strict),
    ),
  },
  strict,
)

export const ContainerTemplate = Type.Object(
  {
    image: Str,
    imagePullPolicy: Type.Optional(
      Type.Union([Type.Literal('Always'), Type.Literal('IfNotPresent'), Type.Literal('Never')]),
    ),
    command: Type.Optional(Type.Array(Str)),
    args: Type.Optional(Type.Array(Str)),
    workingDir: Type.Optional(Str),
    ports: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.Optional(Str),
            containerPort: PortValue,
            protocol: Type.Optional(
              Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')]),
            ),
          },
          strict,
        ),
      ),
    ),
    env: Type.Optional(Type.Array(EnvVar)),
    envFrom: Type.Optional(Type.Array(EnvFrom)),
    resources: Type.Optional(Resources),
    securityContext: Type.Optional(SecurityContext),
    readinessProbe: Type.Optional(Probe),
    livenessProbe: Type.Optional(Probe),
    startupProbe: Type.Optional(Probe),
  },
  strict,
)

export const PARAM_TYPES = [
  'string',
  'integer',
  'boolean',
  'enum',
  'port',
  'port-ref',
  'duration',
  'path',
  'git-repository',
  'git-ref',
  'loopback-url',
  'object-name',
  'email-domain',
  'route-templates',
] as const

export const ParamDefinition = Type.Object(
  {
    type: Type.Union(PARAM_TYPES.map((t) => Type.Literal(t))),
    summary: Type.Optional(Str),
    required: Type.Optional(Type.Boolean()),
    default: Type.Optional(Scalar),
    values: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { minItems: 1 })),
    pattern: Type.Optional(Type.String({ maxLength: 1024 })),
    minimum: Type.Optional(Type.Integer()),
    maximum: Type.Optional(Type.Integer()),
  },
  strict,
)

const VolumeTemplate = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$' }),
    emptyDir: Type.Optional(
      Type.Object(
        { medium: Type.Optional(Type.Literal('Memory')), sizeLimit: Type.Optional(Quantity) },
        strict,
      ),
    ),
    configMap: Type.Optional(
      Type.Object({ name: Str, optional: Type.Optional(Type.Boolean()) }, strict),
    ),
    secret: Type.Optional(
      Type.Object({ secretName: Str, optional: Type.Optional(Type.Boolean()) }, strict),
    ),
    /** Where the sidecar mounts it. */
    mountPath: Str,
    readOnly: Type.Optional(Type.Boolean()),
    /** Where every app container mounts it, if they share it. */
    appMountPath: Type.Optional(Str),
    appReadOnly: Type.Optional(Type.Boolean()),
  },
  strict,
)

export const SidecarDefinition = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$' }),
    summary: Type.Optional(Str),
    params: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$' }),
        ParamDefinition,
      ),
    ),
    proxy: Type.Optional(
      Type.Object(
        {
          appPort: Str,
          listen: Str,
          order: Type.Integer({ minimum: 0, maximum: 1000 }),
          /** What the proxy can stand in front of; without it, HTTP/1.1 only. */
          protocols: Type.Optional(
            Type.Array(Type.Union(PROTOCOLS.map((p) => Type.Literal(p))), { minItems: 1 }),
          ),
          /** The enum parameter that says, or is filled with, the app port's protocol. */
          protocol: Type.Optional(Str),
        },
        strict,
      ),
    ),
    container: ContainerTemplate,
    /** Classic mode only: a one-time init container from the same template with these args. */
    init: Type.Optional(Type.Object({ args: Type.Array(Str) }, strict)),
    volumes: Type.Optional(Type.Array(VolumeTemplate)),
  },
  strict,
)

// The file's form of LabelSelector (src/apiserver/label-selector.ts): load.ts builds a Policy
// from it, so the compiler keeps the two in step.
const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(Type.Record(Str, Str)),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Str,
            operator: Type.Union([
              Type.Literal('In'),
              Type.Literal('NotIn'),
              Type.Literal('Exists'),
              Type.Literal('DoesNotExist'),
            ]),
            values: Type.Optional(Type.Array(Str)),
          },
          strict,
        ),
      ),
    ),
  },
  strict,
)

export const NOT_APPLICABLE = ['admit', 'deny'] as const satisfies readonly NotApplicable[]

export const PolicyDefinition = Type.Object(
  {
    name: Str,
    namespaceSelector: LabelSelector,
    required: Type.Array(Str, { minItems: 1 }),
    /** For a Pod a required sidecar cannot apply to (a proxy with no app port): default admit. */
    notApplicable: Type.Optional(Type.Union(NOT_APPLICABLE.map((v) => Type.Literal(v)))),
  },
  strict,
)

export const CatalogFile = Type.Object(
  {
    mode: Type.Optional(Type.Union(MODES.map((m) => Type.Literal(m)))),
    sidecars: Type.Optional(Type.Array(SidecarDefinition)),
    policies: Type.Optional(Type.Array(PolicyDefinition)),
  },
  strict,
)

export type CatalogFile = Static<typeof CatalogFile>
export type SidecarDefinition = Static<typeof SidecarDefinition>
export type ParamDefinition = Static<typeof ParamDefinition>
export type PolicyDefinition = Static<typeof PolicyDefinition>
export type ContainerTemplate = Static<typeof ContainerTemplate>
