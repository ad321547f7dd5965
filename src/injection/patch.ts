// RFC 6902 patches come from a diff of the mutated copy against the original, never from
// hand-built JSON pointers: separate passes can then never produce overlapping operations, and
// the pointers are escaped (`/` and `~` in keys: patterns~1injected) by fast-json-patch's own
// escapePathComponent.
//
// The walk is fast-json-patch's compare, operation for operation (a test holds them to it), less
// one thing: compare deep-copies every added value through JSON.stringify and JSON.parse, which
// was the diff's largest cost for values that are ours, never modified, and serialised right
// after. Objects that the copy shares with the original are skipped without being walked.
import fastJsonPatch, { type Operation } from 'fast-json-patch'

export type { Operation }

const { escapePathComponent } = fastJsonPatch

type Json = Record<string, unknown> | unknown[]

/** The operations that turn `original` into `mutated`; empty when they are equal. */
export function diff(original: object, mutated: object): Operation[] {
  const operations: Operation[] = []
  walk(original as Json, mutated as Json, { path: '', operations })
  return operations
}

/** Where a walk is: the JSON pointer of the values compared, and the operations so far. */
interface Site {
  path: string
  operations: Operation[]
}

function walk(before: Json, after: Json, site: Site): void {
  if (before === after) return
  const oldKeys = keysOf(before)
  let deleted = false
  // Old keys last to first, as compare does: removals from an array then go from its end.
  for (let i = oldKeys.length - 1; i >= 0; i--) {
    deleted = walkKey(before, after, oldKeys[i] as string, site) || deleted
  }
  const newKeys = keysOf(after)
  if (!deleted && newKeys.length === oldKeys.length) return
  const is = after as Record<string, unknown>
  for (const key of newKeys) {
    if (!Object.hasOwn(before, key) && is[key] !== undefined)
      site.operations.push({ op: 'add', path: pointer(site.path, key), value: is[key] })
  }
}

// One key of the original: walked into, replaced, or removed (then true). Pointers are built
// only where there is an operation or a walk: most keys are unchanged.
function walkKey(before: Json, after: Json, key: string, site: Site): boolean {
  const oldValue = (before as Record<string, unknown>)[key]
  const newValue = (after as Record<string, unknown>)[key]
  // As compare: an object key whose value turns undefined is removed (JSON drops it).
  const dropped = newValue === undefined && oldValue !== undefined && !Array.isArray(after)
  const kept = Object.hasOwn(after, key) && !dropped
  if (!kept) {
    site.operations.push({ op: 'remove', path: pointer(site.path, key) })
    return true
  }
  if (oldValue === newValue) return false
  const path = pointer(site.path, key)
  if (bothContainers(oldValue, newValue))
    walk(oldValue, newValue as Json, { path, operations: site.operations })
  // An array item turned undefined is null in JSON; compare's copy says so too.
  else site.operations.push({ op: 'replace', path, value: newValue ?? null })
  return false
}

function pointer(path: string, key: string): string {
  return `${path}/${escapePathComponent(key)}`
}

function keysOf(value: Json): string[] {
  return Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value)
}

// Both objects or both arrays: walked into (compare replaces a value that changes between the two).
function bothContainers(a: unknown, b: unknown): a is Json {
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    Array.isArray(a) === Array.isArray(b)
  )
}
