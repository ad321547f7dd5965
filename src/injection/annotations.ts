// The annotation keys a user writes and the webhook records, and how their values are read.
import { MAX_SIDECARS } from './catalog.ts'
import { PORT_TAKEOVER } from './port-takeover.ts'

export const PREFIX = 'patterns/'

/** Comma-separated sidecar names the Pod asks for, e.g. `metrics, git-sync`. */
export const SIDECAR = 'patterns/sidecar'
/** `"false"` opts the Pod out of injection. */
export const INJECT = 'patterns/inject'
/** `native` or `classic`: how sidecars are added, overriding the catalog's mode for one Pod. */
export const MODE = 'patterns/mode'
/** Written by the webhook: the sidecars already injected, which makes reinvocation a no-op. */
export const INJECTED = 'patterns/injected'
/** Written by the webhook: `sidecar=digest,...`, what each injected sidecar was rendered from. */
export const REVISION = 'patterns/revision'

// `patterns/<sidecar>.<param>`: a sidecar name without dots, then a non-empty parameter name.
const PARAM_KEY = /^patterns\/([^./]+)\.(.+)$/

/** The annotation that sets one parameter of one sidecar. */
export function paramAnnotation(sidecar: string, param: string): string {
  return `${PREFIX}${sidecar}.${param}`
}

/** The most names a list may hold: more than that cannot all be sidecars of any catalog. */
export const MAX_LIST_NAMES = MAX_SIDECARS
/**
 * The longest list value read: room for every name a catalog can hold, at the longest a sidecar
 * name can be, with blanks around them. Refused before it is split, so its cost is constant.
 */
export const MAX_LIST_LENGTH = 4096

export type ParsedList =
  | { ok: true; names: string[]; repeated: string[] }
  | { ok: false; error: string }

/**
 * Splits a comma-separated list, trimming blanks; keeps first occurrences in order, and reports
 * each repeated name once. A list too long to name sidecars is refused whole, with one message.
 */
export function parseList(value: string | undefined): ParsedList {
  const text = value ?? ''
  if (text.length > MAX_LIST_LENGTH)
    return {
      ok: false,
      error: `is longer than ${MAX_LIST_LENGTH} characters, more than any list of sidecar names`,
    }
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  if (items.length > MAX_LIST_NAMES)
    return {
      ok: false,
      error: `lists ${items.length} names; a catalog holds at most ${MAX_SIDECARS} sidecars`,
    }
  const names = new Set<string>()
  const repeated = new Set<string>()
  for (const name of items) (names.has(name) ? repeated : names).add(name)
  return { ok: true, names: [...names], repeated: [...repeated] }
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
    ![SIDECAR, INJECT, INJECTED, MODE, REVISION, PORT_TAKEOVER].includes(key) &&
    !PARAM_KEY.test(key)
  )
}
