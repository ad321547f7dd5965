// A catalog entry made into a Sidecar: its parameters validated by type, its templates rendered
// with their values, and the result shaped for the chosen mode (native or classic).
import { baseContainerName } from '../injection/app-containers.ts'
import { resolveParams } from '../injection/params.ts'
import type { Container, SecurityContext, Volume } from '../injection/pod.ts'
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
import { compileTemplate, type Renderer, type Values, wholePlaceholder } from './render.ts'
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
  return Object.freeze({
    name: definition.name,
    summary: definition.summary ?? '',
    isProxy: definition.proxy !== undefined,
    digest,
    params,
    configure(raw: ReadonlyMap<string, string>) {
      const resolution = resolveParams(definition.name, params, raw)
      if (!resolution.ok) return resolution
      const values = resolution.values as Values
      const sidecar = bind(template, values, (mode) => sidecarRevision(digest, values, mode))
      return { ok: true, sidecar } as const
    },
  })
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
  ports: { param: string; render: Renderer<{ containerPort: unknown }> }[]
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
    ports: (container.ports ?? []).map(({ containerPort }) => ({
      param: (typeof containerPort === 'string' && wholePlaceholder(containerPort)) || '',
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
        listen: { port: Number(values[proxy.listen]), param: proxy.listen },
        order: proxy.order,
      },
    }),
    listens: listens(templates, values),
    appMountPaths: appMountPaths(templates, values),
    build: (context) => build(templates, values, context),
  }
}

function listens(templates: Templates, values: Values): Listen[] {
  return templates.ports.flatMap(({ param, render }) => {
    const { containerPort } = render(values)
    return typeof containerPort === 'number' ? [{ port: containerPort, param }] : []
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
  const all = { ...values, upstream: context.upstream }
  const volumes = templates.volumes(all).map((v) => shareVolume(v, context))
  const base = baseContainerName(definition.name)
  // The loader checked that every containerPort renders to a number, as Container wants.
  const rendered = templates.container(all) as unknown as Omit<Container, 'name'>
  const container: Container = { name: context.containerName(base), ...rendered }
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
