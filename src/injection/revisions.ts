// patterns/revision: `metrics=3f2a9c01bc,git-sync=8e1d44a07f`, the revision of each sidecar
// injected into a Pod (src/catalog/revision.ts), written with patterns/injected and kept in step
// with it. It is a record for people and for `sidecar-patterns status`, never an input to the
// decision: a Pod author may write anything in it, and the webhook keeps only the entries of
// sidecars that patterns/injected lists, rewriting the rest.
import { parseList, REVISION } from './annotations.ts'

/** A digest as the webhook writes one: lowercase hex. */
const DIGEST = /^[0-9a-f]{1,64}$/

/** The revisions a Pod records, by sidecar; entries that are no `name=digest` are left out. */
export function readRevisions(
  annotations: Readonly<Record<string, string>> | undefined,
): Map<string, string> {
  // parseList bounds the work: a value longer than any list of sidecars is read as none.
  const list = parseList(annotations?.[REVISION])
  const revisions = new Map<string, string>()
  for (const item of list.ok ? list.names : []) {
    const equals = item.indexOf('=')
    const name = item.slice(0, Math.max(equals, 0)).trim()
    const digest = item.slice(equals + 1).trim()
    if (name && DIGEST.test(digest) && !revisions.has(name)) revisions.set(name, digest)
  }
  return revisions
}

/** The annotation's value for `revisions`, in their order. */
export function formatRevisions(revisions: Iterable<readonly [string, string]>): string {
  return [...revisions].map(([name, digest]) => `${name}=${digest}`).join(',')
}
