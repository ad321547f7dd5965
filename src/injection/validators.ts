import { DNS_SUBDOMAIN } from '../kube/names.ts'
import { DURATION_EXAMPLES, parseDuration } from '../shared/duration.ts'
import { quote } from '../shared/quote.ts'
// The meter reads its --route flags by the same rule: a Pod never starts a meter that refuses them.
import { parseRoutes } from '../shared/route-templates.ts'
import { forbiddenGitHost } from './git-hosts.ts'
import { isSystemPath } from './system-paths.ts'

export { quote }

// A table of validators for annotation values. Values only ever fill typed parameters:
// each validator accepts a narrow, documented shape and explains what it expected otherwise.

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string }
export type Validator<T> = (raw: string) => Validation<T>

const ok = <T>(value: T): Validation<T> => ({ ok: true, value })
const fail = <T>(raw: string, expected: string): Validation<T> => ({
  ok: false,
  error: `${quote(raw)} is not ${expected}`,
})

// IANA_SVC_NAME, as Kubernetes validates container port names (k8s.io/apimachinery validation.go).
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/

/** A TCP port number, 1 to 65535, written in plain decimal. */
export const port: Validator<number> = (raw) => {
  const n = /^[1-9][0-9]{0,4}$/.test(raw) ? Number(raw) : Number.NaN
  return n <= 65535 ? ok(n) : fail(raw, 'a port number (1-65535)')
}

/** A port number, or the name of a port that an app container declares. */
export const portRef: Validator<number | string> = (raw) => {
  if (/^[0-9]+$/.test(raw)) return port(raw)
  return PORT_NAME.test(raw) ? ok(raw) : fail(raw, 'a port number or a container port name')
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(values: readonly T[]): Validator<T> {
  return (raw) =>
    (values as readonly string[]).includes(raw)
      ? ok(raw as T)
      : fail(raw, `one of ${values.join(', ')}`)
}

/** A duration in the one format of every setting (shared/duration.ts), which git-sync's flags
 *  read too: 30s, 5m, 1h30m; at least one second. */
export const duration: Validator<string> = (raw) => {
  const ms = parseDuration(raw)
  return ms !== undefined && ms >= 1000
    ? ok(raw)
    : fail(raw, `a duration of at least 1s such as ${DURATION_EXAMPLES}`)
}

/**
 * An absolute, normalised path that is safe to mount: no `..`, not `/`, not in or over a system
 * directory (src/injection/system-paths.ts).
 */
export const mountPath: Validator<string> = (raw) => {
  const segments = raw.split('/').slice(1)
  const clean =
    raw.startsWith('/') &&
    raw.length <= 255 &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..' && /^[\w.-]+$/.test(s))
  if (!clean) return fail(raw, 'an absolute path such as /git (letters, digits, . _ -)')
  return isSystemPath(segments)
    ? fail(raw, "a path outside the system directories: a volume there hides the image's own files")
    : ok(raw)
}

// Host names and user names start with a letter or digit, so none can pass for a git option.
const HOST = String.raw`(?<host>[a-zA-Z0-9][\w.-]*)(:[0-9]{1,5})?`
const USER = String.raw`[a-zA-Z0-9][\w.-]*@`
const REPO_PATH = String.raw`(/[\w.~%+-]+)+/?`
const GIT_URLS = [
  new RegExp(`^(https?|git)://${HOST}${REPO_PATH}$`),
  new RegExp(`^ssh://(${USER})?${HOST}${REPO_PATH}$`),
  new RegExp(String.raw`^${USER}(?<host>[a-zA-Z0-9][\w.-]*):[\w.~/-]+$`),
]

/**
 * A remote Git repository: an http(s) or git URL, an ssh URL or scp-like `user@host:path`.
 * No credentials in http(s) URLs: anyone who can read the Pod would see them. No host that
 * answers from inside the cluster with what is not a repository (src/injection/git-hosts.ts).
 */
export const gitRepository: Validator<string> = (raw) => {
  const host = GIT_URLS.map((pattern) => pattern.exec(raw)?.groups?.host).find(Boolean)
  if (host === undefined)
    return fail(
      raw,
      'a Git repository URL (https://, ssh://, git:// or user@host:path) without credentials',
    )
  const forbidden = forbiddenGitHost(host)
  return forbidden ? fail(raw, `a repository git-sync may fetch from: ${forbidden}`) : ok(raw)
}

/** A branch, tag or commit name as git check-ref-format allows it (the common subset). */
export const gitRef: Validator<string> = (raw) => {
  const shape = /^\w[\w./-]{0,254}$/.test(raw) && !raw.includes('..') && !raw.endsWith('.')
  // Per component, as git check-ref-format: not empty, no leading '.', no trailing '.lock'.
  const components = raw.split('/')
  const wellFormed = components.every((c) => c !== '' && !c.startsWith('.') && !c.endsWith('.lock'))
  return shape && wellFormed ? ok(raw) : fail(raw, 'a Git branch, tag or commit')
}

/** An http URL on the Pod's own loopback: the app in the same Pod, never another host. */
export const loopbackUrl: Validator<string> = (raw) => {
  const shape = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\]):[1-9][0-9]{0,4}(\/[\w./~%-]*)?$/
  const portNumber = Number(/:(\d+)(\/|$)/.exec(raw)?.[1] ?? 0)
  return shape.test(raw) && portNumber <= 65535
    ? ok(raw)
    : fail(raw, 'an http URL on localhost with a port, such as http://localhost:8080/-/reload')
}

/** The name of a Kubernetes object such as a Secret (a DNS-1123 subdomain). */
export const objectName: Validator<string> = (raw) =>
  DNS_SUBDOMAIN.test(raw) ? ok(raw) : fail(raw, 'a Kubernetes object name (DNS-1123 subdomain)')

/** An email domain that the authenticating proxy admits, or `*` for any. */
export const emailDomain: Validator<string> = (raw) =>
  raw === '*' || DNS_SUBDOMAIN.test(raw) ? ok(raw) : fail(raw, 'a domain such as example.com, or *')

/** A whole number within bounds. */
export function integer(
  minimum = Number.MIN_SAFE_INTEGER,
  maximum = Number.MAX_SAFE_INTEGER,
): Validator<number> {
  return (raw) => {
    const n = /^-?(0|[1-9][0-9]{0,15})$/.test(raw) ? Number(raw) : Number.NaN
    return n >= minimum && n <= maximum
      ? ok(n)
      : fail(raw, `a whole number from ${minimum} to ${maximum}`)
  }
}

/** `true` or `false`. */
export const boolean: Validator<boolean> = (raw) =>
  raw === 'true' || raw === 'false' ? ok(raw === 'true') : fail(raw, 'true or false')

/** Free text on one line, at most 1024 characters, optionally matching a pattern the catalog sets. */
export function text(pattern?: RegExp): Validator<string> {
  return (raw) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    const oneLine = raw.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(raw)
    if (!oneLine) return fail(raw, 'one line of at most 1024 characters')
    return !pattern || pattern.test(raw) ? ok(raw) : fail(raw, `text matching ${pattern.source}`)
  }
}

/**
 * Path templates for the meter's route label, comma-separated: `/api/users/:id,/static/*`; the
 * meter's own rule (parseRoutes), blanks and empty items dropped.
 */
export const routeTemplates: Validator<string> = (raw) => {
  const list = parseRoutes([raw])
  return list.ok
    ? ok(list.routes.join(','))
    : fail(raw, `a list of path templates: ${list.errors.join('; ')}`)
}
