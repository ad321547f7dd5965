// The annotation keys a user writes and the webhook records, and how their values are read.

export const PREFIX = 'patterns/'

/** Comma-separated sidecar names the Pod asks for, e.g. `metrics, git-sync`. */
export const SIDECAR = 'patterns/sidecar'
/** `"false"` opts the Pod out of injection. */
export const INJECT = 'patterns/inject'
/** `native` or `classic`: how sidecars are added, overriding the catalog's mode for one Pod. */
export const MODE = 'patterns/mode'
/** Written by the webhook: the sidecars already injected, which makes reinvocation a no-op. */
export const INJECTED = 'patterns/injected'

// `patterns/<sidecar>.<param>`: a sidecar name without dots, then a non-empty parameter name.
const PARAM_KEY = /^patterns\/([^./]+)\.(.+)$/

/** The annotation that sets one parameter of one sidecar. */
export function paramAnnotation(sidecar: string, param: string): string {
  return `${PREFIX}${sidecar}.${param}`
}

/** Splits a comma-separated list, trimming blanks; keeps first occurrences in order. */
export function parseList(value: string | undefined): { names: string[]; repeated: string[] } {
  const names: string[] = []
  const repeated: string[] = []
  for (const item of (value ?? '').split(',')) {
    const name = item.trim()
    if (name === '') continue
    if (names.includes(name)) repeated.push(name)
    else names.push(name)
  }
  return { names, repeated }
}

/** The raw `patterns/<sidecar>.<param>` values of every sidecar, keyed by sidecar then param. */
export function paramsBySidecar(
  annotations: Readonly<Record<string, string>>,
): Map<string, Map<string, string>> {
  const bySidecar = new Map<string, Map<string, string>>()
  for (const [key, value] of Object.entries(annotations)) {
    const match = PARAM_KEY.exec(key)
    if (!match) continue
    const [, sidecar = '', param = ''] = match
    const params = bySidecar.get(sidecar) ?? new Map<string, string>()
    bySidecar.set(sidecar, params.set(param, value))
  }
  return bySidecar
}

/** Keys under `patterns/` that are neither a known annotation nor a sidecar parameter. */
export function isStrayKey(key: string): boolean {
  return (
    key.startsWith(PREFIX) &&
    ![SIDECAR, INJECT, INJECTED, MODE].includes(key) &&
    !PARAM_KEY.test(key)
  )
}
