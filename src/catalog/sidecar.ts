// A catalog entry made into a Sidecar: its parameters validated by type, its templates rendered
// with their values, and the result shaped for the chosen mode (native or classic).
import { LRUCache } from 'lru-cache'
import { baseContainerName } from '../injection/app-containers.ts'
import { resolveParams } from '../injection/params.ts'
import type { Container, SecurityContext, Volume } from '../injection/pod.ts'
import type { Protocol } from '../injection/protocol.ts'
import type {
  AppMountPath,
  BuildContext,
  ConfiguredSidecar,
  Listen,
  Mode,
  ParamSpecs,
  Sidecar,
  SidecarParts,
} from '../injection/sidecar.ts'
import type { ContainerTemplate, SidecarDefinition } from './format.ts'
import { toSpec } from './param-types.ts'
import {
  compileTemplate,
  deepFreeze,
  placeholders,
  type Renderer,
  type Values,
  wholePlaceholder,
} from './render.ts'
import { entryDigest, sidecarRevision } from './revision.ts'

// The Pod Security "restricted" profile; a catalog entry may override single fields.
const RESTRICTED: SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
}
const RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } }

/** Makes a validated catalog entry into a Sidecar; `selfImage` fills `{{self.image}}`. */
export function compileSidecar(definition: SidecarDefinition, selfImage: string): Sidecar {
  const params: ParamSpecs = Object.fromEntries(
    Object.entries(definition.params ?? {}).map(([name, p]) => [name, toSpec(p)]),
  )
  const complete = withDefaults(definition, selfImage)
  const template = compileTemplates(complete)
  const digest = entryDigest(complete)
  // Every Pod of a workload sets the same parameters, so each distinct set is validated, bound
  // and digested once and its configuration shared, frozen, by every review that sets it; a
  // review of a Pod unlike any other still takes no step anew that depends only on them.
  const configurations = new LRUCache<string, ConfiguredSidecar>({ max: CONFIGURATIONS_KEPT })
  return Object.freeze({
    name: definition.name,
    summary: definition.summary ?? '',
    isProxy: definition.proxy !== undefined,
    digest,
    params,
    configure(raw: ReadonlyMap<string, string>) {
      const key = keyOf(raw)
      const kept = key === undefined ? undefined : configurations.get(key)
      if (kept) return { ok: true, sidecar: kept } as const
      const resolution = resolveParams(definition.name, params, raw)
      if (!resolution.ok) return resolution
      const values = resolution.values as Values
      const revision = oncePerMode((mode) => sidecarRevision(digest, values, mode))
      const sidecar = deepFreeze(bind(template, deepFreeze(values), revision))
      if (key !== undefined) configurations.set(key, sidecar)
      return { ok: true, sidecar } as const
    },
  })
}

// A few dozen workloads' parameter sets per sidecar, none longer than a kibibyte of text (longer
// ones, a value may take 4 KiB, are configured each time): what a stream of Pods with ever new
// values can make the webhook keep is at most 64 KiB per sidecar.
export const CONFIGURATIONS_KEPT = 64
export const MAX_KEPT_KEY = 1024

// The memo's key for a parameter set, or undefined for one too long to keep: measured before it
// is written out, so that a Pod with megabyte values costs no copy of them here.
function keyOf(raw: ReadonlyMap<string, string>): string | undefined {
  let length = 0
  for (const [name, value] of raw) length += name.length + value.length
  if (length > MAX_KEPT_KEY) return undefined
  const key = raw.size === 0 ? '' : JSON.stringify([...raw])
  return key.length <= MAX_KEPT_KEY ? key : undefined
}

function oncePerMode(revision: (mode: Mode) => string): (mode: Mode) => string {
  const revisions = new Map<Mode, string>()
  return (mode) => {
    const kept = revisions.get(mode)
    if (kept !== undefined) return kept
    const computed = revision(mode)
    revisions.set(mode, computed)
    return computed
  }
}

function withDefaults(definition: SidecarDefinition, selfImage: string): SidecarDefinition {
  const { container } = definition
  return {
    ...definition,
    container: {
      ...container,
      // A replacement function, since a replacement string gives `$&` and `$$` a meaning.
      image: container.image.replaceAll('{{self.image}}', () => selfImage),
      resources: { ...RESOURCES, ...container.resources },
      securityContext: { ...RESTRICTED, ...container.securityContext },
    },
  }
}

type VolumeTemplate = NonNullable<SidecarDefinition['volumes']>[number]

// A definition with its templates compiled, once per catalog load.
interface Templates {
  definition: SidecarDefinition
  container: Renderer<ContainerTemplate>
  volumes: Renderer<VolumeTemplate[]>
  initArgs: Renderer<string[]> | undefined
  ports: { param: string; name: string | undefined; render: Renderer<{ containerPort: unknown }> }[]
  appMountPaths: { param: string; render: Renderer<string[]> }[]
}

function compileTemplates(definition: SidecarDefinition): Templates {
  const { container, volumes = [], init } = definition
  return {
    definition,
    container: compileTemplate(container),
    volumes: compileTemplate(volumes),
    // The init container's args are a container's args: the kubelet expands them too.
    initArgs: init && compileTemplate(init.args, ['args']),
    ports: (container.ports ?? []).map(({ containerPort, name }) => ({
      param: (typeof containerPort === 'string' && wholePlaceholder(containerPort)) || '',
      // A name with a placeholder is only known once rendered: not said in messages.
      name: name !== undefined && placeholders(name).length === 0 ? name : undefined,
      render: compileTemplate({ containerPort }),
    })),
    appMountPaths: volumes.flatMap(({ appMountPath }) =>
      appMountPath === undefined
        ? []
        : [
            {
              param: wholePlaceholder(appMountPath) ?? '',
              render: compileTemplate([appMountPath]),
            },
          ],
    ),
  }
}

function bind(
  templates: Templates,
  values: Values,
  revision: (mode: Mode) => string,
): ConfiguredSidecar {
  const { name, proxy } = templates.definition
  return {
    name,
    revision,
    ...(proxy && {
      proxy: {
        appPort: values[proxy.appPort] as number | string | undefined,
        appPortParam: proxy.appPort,
        listen: listenOf(templates, proxy.listen, values),
        order: proxy.order,
        protocols: proxy.protocols ?? ['http'],
        protocolParam: proxy.protocol,
        // checks.ts: the parameter is an enum of protocols.
        protocol: proxy.protocol === undefined ? undefined : (values[proxy.protocol] as Protocol),
      },
    }),
    listens: listens(templates, values),
    appMountPaths: appMountPaths(templates, values),
    build: (context) => build(templates, values, context),
  }
}

// The port a proxy listens on: its parameter's value, under the name the catalog gives the port.
function listenOf(templates: Templates, param: string, values: Values): Listen {
  const name = templates.ports.find((p) => p.param === param)?.name
  return { port: Number(values[param]), param, ...(name !== undefined && { name }) }
}

function listens(templates: Templates, values: Values): Listen[] {
  return templates.ports.flatMap(({ param, name, render }) => {
    const { containerPort } = render(values)
    if (typeof containerPort !== 'number') return []
    return [{ port: containerPort, param, ...(name !== undefined && { name }) }]
  })
}

function appMountPaths(templates: Templates, values: Values): AppMountPath[] {
  return templates.appMountPaths.flatMap(({ param, render }) => {
    const [path] = render(values)
    return path === undefined ? [] : [{ path, param }]
  })
}

function build(templates: Templates, values: Values, context: BuildContext): SidecarParts {
  const { definition } = templates
  const all = { ...values, upstream: context.upstream, ...filled(definition, context) }
  const volumes = templates.volumes(all).map((v) => shareVolume(v, context))
  const base = baseContainerName(definition.name)
  // The loader checked that every containerPort renders to a number, as Container wants.
  const rendered = templates.container(all) as unknown as Omit<Container, 'name'>
  const named: Container = { name: context.containerName(base), ...rendered }
  const listen = definition.proxy && Number(values[definition.proxy.listen])
  const container = context.takeover && listen ? takeOver(named, listen, context.takeover) : named
  if (volumes.length) container.volumeMounts = volumes.map((v) => v.sidecarMount)
  const parts = {
    volumes: volumes.map((v) => v.volume),
    appMounts: volumes.flatMap((v) => (v.appMount ? [v.appMount] : [])),
  }
  if (context.mode === 'native') {
    return { containers: [], initContainers: [{ ...container, restartPolicy: 'Always' }], ...parts }
  }
  const init =
    templates.initArgs &&
    oneTime(container, templates.initArgs(all), context.containerName(`${base}-init`))
  return { containers: [container], initContainers: init ? [init] : [], ...parts }
}

// The protocol the chain found for the app port fills the proxy's protocol parameter, where the
// Pod did not set it.
function filled(definition: SidecarDefinition, context: BuildContext): Values {
  const param = definition.proxy?.protocol
  return param && context.protocol ? { [param]: context.protocol } : {}
}

// The listening port takes the app port's name, and the sidecar's own probes follow it. The
// rendered parts are shared and frozen: the port list and the probes are copied, never changed.
function takeOver(rendered: Container, listen: number, name: string): Container {
  const old = rendered.ports?.find((p) => p.containerPort === listen)?.name
  const ports = rendered.ports?.map((p) => (p.containerPort === listen ? { ...p, name } : p))
  const copy: Container = { ...rendered, ...(ports && { ports }) }
  for (const kind of PROBES) {
    const probe = rendered[kind] as Record<string, unknown> | undefined
    for (const handler of ['httpGet', 'tcpSocket'] as const) {
      const action = probe?.[handler] as { port?: unknown } | undefined
      if (old !== undefined && action?.port === old)
        copy[kind] = { ...probe, [handler]: { ...action, port: name } }
    }
  }
  return copy
}

const PROBES = ['readinessProbe', 'livenessProbe', 'startupProbe'] as const

// A catalog volume becomes a Pod volume under a free name, the sidecar's mount, and optionally
// the mount every app container gets.
function shareVolume(template: VolumeTemplate, context: BuildContext) {
  const { name, mountPath, readOnly, appMountPath, appReadOnly, ...source } = template
  const podName = context.volumeName(`patterns-${name}`)
  return {
    volume: { name: podName, ...source } as Volume,
    sidecarMount: { name: podName, mountPath, ...(readOnly && { readOnly }) },
    appMount:
      appMountPath === undefined
        ? undefined
        : { name: podName, mountPath: appMountPath, ...(appReadOnly && { readOnly: appReadOnly }) },
  }
}

// Init containers that run to completion may not have probes or lifecycle hooks (the API server
// rejects them), and they listen on nothing.
function oneTime(container: Container, args: string[], name: string): Container {
  const { readinessProbe: _r, livenessProbe: _l, startupProbe: _s, ports: _p, ...rest } = container
  return { ...rest, name, args }
}
