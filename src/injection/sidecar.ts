// What a sidecar template is: typed parameters read from annotations, and a pure build
// function from those values to the containers and volumes it adds to a Pod.
import { resolveParams } from './params.ts'
import type { Container, Volume, VolumeMount } from './pod.ts'
import type { Problem } from './problems.ts'
import type { Validator } from './validators.ts'

/** A parameter as set by `patterns/<sidecar>.<param>`: required, defaulted, or optional. */
export type ParamSpec<T> = { summary: string; validate: Validator<T> } & (
  | { presence: 'required' }
  | { presence: 'optional' }
  | { presence: 'defaulted'; default: string }
)

// biome-ignore lint/suspicious/noExplicitAny: a spec's value type varies per key; see Values
type AnySpec = ParamSpec<any>
export type ParamSpecs = Record<string, AnySpec>

/** The typed values of a sidecar's parameters, after validation. */
export type Values<S extends ParamSpecs> = {
  [K in keyof S]: S[K] extends ParamSpec<infer T>
    ? S[K] extends { presence: 'optional' }
      ? T | undefined
      : T
    : never
}

/** A port the sidecar listens on, and the parameter that chose it. */
export interface Listen {
  port: number
  param: string
}

/** A path the sidecar mounts into every app container, and the parameter that chose it. */
export interface AppMountPath {
  path: string
  param: string
}

/** Container images, chosen by whoever runs the webhook, never by annotations. */
export interface Images {
  meter: string
  oauth2Proxy: string
  gitSync: string
}

/** What the mutation step tells a sidecar when building it. */
export interface BuildContext {
  images: Images
  /** For proxies: the port to forward to, the app's or the next proxy's in the chain. */
  upstream: number | undefined
  /** Claim a container name: the base name, or a suffixed one if the Pod has it already. */
  containerName(base: string): string
  volumeName(base: string): string
}

/** What a sidecar adds to a Pod. Mounts in `appMounts` go into every app container. */
export interface SidecarParts {
  containers: Container[]
  initContainers: Container[]
  volumes: Volume[]
  appMounts: VolumeMount[]
}

/** A sidecar template with typed parameters. */
export interface SidecarTemplate<S extends ParamSpecs> {
  name: string
  summary: string
  params: S
  /** Proxies sit in front of an app port; they chain in catalog order, outermost first. */
  proxy?: {
    appPort: (values: Values<S>) => number | string | undefined
    appPortParam: keyof S & string
    listen: (values: Values<S>) => Listen
  }
  listens: (values: Values<S>) => Listen[]
  appMountPaths: (values: Values<S>) => AppMountPath[]
  build: (values: Values<S>, context: BuildContext) => SidecarParts
}

/** A sidecar with its parameters validated, ready to build. */
export interface ConfiguredSidecar {
  name: string
  proxy?: { appPort: number | string | undefined; appPortParam: string; listen: Listen }
  listens: Listen[]
  appMountPaths: AppMountPath[]
  build: (context: BuildContext) => SidecarParts
}

export type Configuration =
  | { ok: true; sidecar: ConfiguredSidecar }
  | { ok: false; problems: Problem[] }

/** A template with its parameter types hidden, so that a catalog can hold several. */
export interface Sidecar {
  name: string
  summary: string
  /** Whether it sits in front of the app port, in the proxy chain. */
  isProxy: boolean
  params: Readonly<ParamSpecs>
  /** Validates the raw `patterns/<name>.<param>` values (keyed by param) and binds them. */
  configure(raw: ReadonlyMap<string, string>): Configuration
}

/** Hides a template's parameter types behind `configure`, which only validated values reach. */
export function defineSidecar<S extends ParamSpecs>(template: SidecarTemplate<S>): Sidecar {
  const { name, summary, params } = template
  return Object.freeze({
    name,
    summary,
    isProxy: template.proxy !== undefined,
    params,
    configure(raw: ReadonlyMap<string, string>): Configuration {
      const resolution = resolveParams(name, params, raw)
      if (!resolution.ok) return resolution
      return { ok: true, sidecar: bind(template, resolution.values) }
    },
  })
}

function bind<S extends ParamSpecs>(
  template: SidecarTemplate<S>,
  values: Values<S>,
): ConfiguredSidecar {
  const { name, proxy } = template
  return {
    name,
    ...(proxy && {
      proxy: {
        appPort: proxy.appPort(values),
        appPortParam: proxy.appPortParam,
        listen: proxy.listen(values),
      },
    }),
    listens: template.listens(values),
    appMountPaths: template.appMountPaths(values),
    build: (context) => template.build(values, context),
  }
}

/** The port a proxy forwards to; the chain gives every proxy one, so a missing one is a bug. */
export function upstreamOf(context: BuildContext): number {
  if (context.upstream === undefined) throw new Error('a proxy was built without an upstream port')
  return context.upstream
}
