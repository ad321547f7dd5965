// A table of validators for annotation values. Values only ever fill typed parameters:
// each validator accepts a narrow, documented shape and explains what it expected otherwise.

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string }
export type Validator<T> = (raw: string) => Validation<T>

const ok = <T>(value: T): Validation<T> => ({ ok: true, value })
const fail = <T>(raw: string, expected: string): Validation<T> => ({
  ok: false,
  error: `${quote(raw)} is not ${expected}`,
})

/** Quotes a user-supplied value for a message, cut short so a huge annotation cannot flood it. */
export function quote(raw: string): string {
  return JSON.stringify(raw.length > 64 ? `${raw.slice(0, 61)}...` : raw)
}

// IANA_SVC_NAME, as Kubernetes validates container port names (k8s.io/apimachinery validation.go).
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

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

/** A Go duration of whole units, as git-sync's flags take it: 30s, 5m, 1h30m; at least one second. */
export const duration: Validator<string> = (raw) => {
  const match = /^(?:(\d{1,4})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s)?$/.exec(raw)
  const [, h = '0', m = '0', s = '0'] = match ?? []
  const seconds = Number(h) * 3600 + Number(m) * 60 + Number(s)
  return match && seconds >= 1 ? ok(raw) : fail(raw, 'a duration of at least 1s such as 30s or 5m')
}

/** An absolute, normalised path that is safe to mount: no `..`, no `:`, not `/` itself. */
export const mountPath: Validator<string> = (raw) => {
  const segments = raw.split('/').slice(1)
  const clean =
    raw.startsWith('/') &&
    raw.length <= 255 &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..' && /^[\w.-]+$/.test(s))
  return clean ? ok(raw) : fail(raw, 'an absolute path such as /git (letters, digits, . _ -)')
}

/** A remote Git repository: an http(s), ssh or git URL, or scp-like `user@host:path`. */
export const gitRepository: Validator<string> = (raw) => {
  const url = /^(https?|ssh|git):\/\/[\w.@:-]+(\/[\w.~%@+-]+)+\/?$/
  const scp = /^[\w.-]+@[\w.-]+:[\w.~/-]+$/
  return url.test(raw) || scp.test(raw)
    ? ok(raw)
    : fail(raw, 'a Git repository URL (https://, ssh://, git:// or user@host:path)')
}

/** A branch, tag or commit name as git check-ref-format allows it (the common subset). */
export const gitRef: Validator<string> = (raw) => {
  const shape = /^[\w][\w./-]{0,254}$/.test(raw)
  const forbidden =
    raw.includes('..') || raw.includes('//') || /[./]$/.test(raw) || raw.endsWith('.lock')
  return shape && !forbidden ? ok(raw) : fail(raw, 'a Git branch, tag or commit')
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
