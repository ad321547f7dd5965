// What the kubelet does to a container's strings before the program sees them: `$(VAR)` becomes
// the variable's value. A model, so that tests can check what a sidecar receives rather than what
// the webhook wrote. Faithful to these sources of k8s.io/kubernetes:
//
// - third_party/forked/golang/expansion/expand.go (as of commit fde22c3f9aac): Expand and
//   MappingFuncFor, the rule itself; its cases are test/kubelet-model/expansion.test.ts;
// - pkg/kubelet/kubelet_pods.go, makeEnvironmentVariables: env values are expanded in the order
//   they are declared, with the variables declared before them and the service variables;
//   values from valueFrom (and envFrom, which the model leaves out) are taken as they are;
// - pkg/kubelet/container/helpers.go, ExpandContainerCommandAndArgs: command and args are
//   expanded with the container's final environment; ExpandContainerCommandOnlyStatic: an exec
//   probe's command with the literal env values only.
//
// workingDir, image, ports, probes' httpGet and everything else reach the runtime unexpanded.

const OPERATOR = '$'
const OPENER = '('
const CLOSER = ')'

/** MappingFuncFor: the first context that defines the name; an undefined one stays `$(NAME)`. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): (name: string) => string {
  return (name) => {
    for (const vars of contexts) {
      const value = vars.get(name)
      if (value !== undefined) return value
    }
    return `${OPERATOR}${OPENER}${name}${CLOSER}`
  }
}

/**
 * Expand, transcribed. Go walks UTF-8 bytes and this UTF-16 code units; the three operators are
 * ASCII in both and the rest is copied whole (Go decodes the rune after a lone `$`), so the
 * results are the same.
 */
export function expand(input: string, mapping: (name: string) => string): string {
  let out = ''
  let checkpoint = 0
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === OPERATOR && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor)
      const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1))
      out += isVar ? mapping(read) : read
      cursor += advance
      checkpoint = cursor + 1
    }
  }
  return out + input.slice(checkpoint)
}

function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  const rune = String.fromCodePoint(input.codePointAt(0) ?? 0)
  switch (rune) {
    case OPERATOR:
      // `$$` is an escaped operator: one `$`.
      return { read: rune, isVar: false, advance: rune.length }
    case OPENER: {
      const close = input.indexOf(CLOSER, 1)
      if (close !== -1) return { read: input.slice(1, close), isVar: true, advance: close + 1 }
      return { read: OPERATOR + OPENER, isVar: false, advance: 1 }
    }
    default:
      return { read: OPERATOR + rune, isVar: false, advance: rune.length }
  }
}

export interface ModelContainer {
  command?: readonly string[]
  args?: readonly string[]
  env?: readonly { name: string; value?: string; valueFrom?: unknown }[]
  readinessProbe?: { exec?: { command: readonly string[] } }
  livenessProbe?: { exec?: { command: readonly string[] } }
  startupProbe?: { exec?: { command: readonly string[] } }
}

export interface Started {
  command: string[]
  args: string[]
  env: Map<string, string>
  /** What each exec probe runs, by probe field. */
  probes: Record<string, string[]>
}

/**
 * A container as its program starts: `services` are the service variables the kubelet adds
 * (KUBERNETES_PORT and the like); `resolved` gives what a valueFrom entry resolves to, by name.
 */
export function startContainer(
  container: ModelContainer,
  services: ReadonlyMap<string, string>,
  resolved: ReadonlyMap<string, string> = new Map(),
): Started {
  const env = new Map([...services, ...declaredEnv(container, services, resolved)])
  const all = mappingFor(env)
  return {
    command: (container.command ?? []).map((c) => expand(c, all)),
    args: (container.args ?? []).map((a) => expand(a, all)),
    env,
    probes: execProbes(container),
  }
}

// makeEnvironmentVariables: in declaration order, each value sees those before it.
function declaredEnv(
  container: ModelContainer,
  services: ReadonlyMap<string, string>,
  resolved: ReadonlyMap<string, string>,
): Map<string, string> {
  const declared = new Map<string, string>()
  const mapping = mappingFor(declared, services)
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (value) declared.set(name, expand(value, mapping))
    else if (valueFrom === undefined) declared.set(name, '')
    else {
      const from = resolved.get(name)
      // An optional key that is missing leaves the variable out.
      if (from !== undefined) declared.set(name, from)
    }
  }
  return declared
}

// The prober: ExpandContainerCommandOnlyStatic, with each env entry's literal value ('' for a
// valueFrom entry).
function execProbes(container: ModelContainer): Record<string, string[]> {
  const statics = mappingFor(new Map((container.env ?? []).map((e) => [e.name, e.value ?? ''])))
  const probes: Record<string, string[]> = {}
  for (const field of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    const exec = container[field]?.exec
    if (exec) probes[field] = exec.command.map((c) => expand(c, statics))
  }
  return probes
}
