// What the injection code needs of a sidecar: typed parameters read from annotations, and, once
// they are valid, what it listens on and mounts (to check conflicts) and a pure build function.
import type { Container, Volume, VolumeMount } from './pod.ts'
import type { Problem } from './problems.ts'
import type { Protocol } from './protocol.ts'
import type { Validator } from './validators.ts'

/** A parameter as set by `patterns/<sidecar>.<param>`: required, defaulted, or optional. */
export type ParamSpec<T> = { summary: string; validate: Validator<T> } & (
  | { presence: 'required' }
  | { presence: 'optional' }
  | { presence: 'defaulted'; default: string }
)

export type ParamSpecs = Record<string, ParamSpec<unknown>>

/** A port the sidecar listens on, and the parameter that chose it ('' when the catalog fixed it). */
export interface Listen {
  port: number
  param: string
  /** The port's name, where the catalog gives it one. */
  name?: string
}

/** A path the sidecar mounts into every app container, and the parameter that chose it. */
export interface AppMountPath {
  path: string
  param: string
}

/** Native sidecars are init containers with restartPolicy Always (Kubernetes 1.29+). */
export const MODES = ['native', 'classic'] as const
export type Mode = (typeof MODES)[number]

/** What the mutation step tells a sidecar when building it. */
export interface BuildContext {
  mode: Mode
  /** For proxies: the port to forward to, the app's or the next proxy's in the chain. */
  upstream: number | undefined
  /** For proxies: what the app port speaks, which fills the proxy's protocol parameter. */
  protocol?: Protocol
  /**
   * For the outermost proxy: the app port's name, which its listening port takes over so that a
   * Service targeting the name reaches it (src/injection/port-takeover.ts).
   */
  takeover?: string
  /** Claims a container name: the base name, or a suffixed one if the Pod has it already. */
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

/** A sidecar with its parameters validated, ready to build. */
export interface ConfiguredSidecar {
  name: string
  proxy?: {
    appPort: number | string | undefined
    appPortParam: string
    listen: Listen
    order: number
    /** What it can stand in front of. */
    protocols: readonly Protocol[]
    /** The parameter that says the app port's protocol, and its value if the Pod set it. */
    protocolParam: string | undefined
    protocol: Protocol | undefined
  }
  listens: Listen[]
  appMountPaths: AppMountPath[]
  build: (context: BuildContext) => SidecarParts
  /** A short digest of what `build` renders from in `mode`, for patterns/revision. */
  revision(mode: Mode): string
}

export type Configuration =
  | { ok: true; sidecar: ConfiguredSidecar }
  | { ok: false; problems: Problem[] }

/** A catalog entry, as injection sees it. */
export interface Sidecar {
  name: string
  summary: string
  /** Whether it sits in front of the app port, in the proxy chain. */
  isProxy: boolean
  /** A short digest of the catalog entry, parameter values and mode aside. */
  digest: string
  params: Readonly<ParamSpecs>
  /** Validates the raw `patterns/<name>.<param>` values (keyed by param) and binds them. */
  configure(raw: ReadonlyMap<string, string>): Configuration
}
