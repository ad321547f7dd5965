// Changes to a YAML document as written, and how they find their nodes: by key in maps, by
// index in lists, never through an alias (an edit there would change every place that uses it).
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'
import { type Path, valueAt } from './templates.ts'

/** A change to a document, with paths into the document as written. */
export type Change =
  /**
   * Adds or replaces a map key, or replaces a list item. A scalar replaced is written in the
   * quoting it had, or in that of the scalar at `like` (a name given back where a number was).
   */
  | { op: 'set'; path: Path; value: unknown; like?: Path }
  /** Adds an item at the end of the list at `path`. */
  | { op: 'append'; path: Path; value: unknown }
  /** Removes a map key or a list item; a collection injection added whole goes with its key. */
  | { op: 'delete'; path: Path }

/** `change`, whose paths are relative to the node at `base`, with paths into the document. */
export function rebased(change: Change, base: Path): Change {
  const path = [...base, ...change.path]
  if (change.op !== 'set' || !change.like) return { ...change, path }
  return { ...change, path, like: [...base, ...change.like] }
}

/** A change this module cannot make without rewriting more than the changed node. */
export class SpliceError extends Error {
  override name = 'SpliceError'
}

/** The node at `path` in the document as written; an alias on the way is an error. */
export function nodeAt(doc: Document, path: Path): Node | undefined {
  let node = doc.contents as Node | null
  for (const segment of path) {
    if (isAlias(node)) throw new SpliceError(`${pathText(path)}: goes through an alias`)
    if (isMap(node)) node = (pairOf(node, segment)?.value as Node | null) ?? null
    else if (isSeq(node)) node = (node.items[Number(segment)] as Node | undefined) ?? null
    else return undefined
  }
  if (isAlias(node)) throw new SpliceError(`${pathText(path)}: is an alias`)
  return node ?? undefined
}

export function seqAt(doc: Document, path: Path): YAMLSeq {
  const node = nodeAt(doc, path)
  if (!isSeq(node)) throw new SpliceError(`${pathText(path)}: not a list`)
  return node
}

export function pairOf(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find(
    (pair) => isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(key),
  ) as Pair | undefined
}

export function pathText(path: Path): string {
  return `/${path.join('/')}`
}

/**
 * The plain object `object` becomes with `changes` made, as their splices make the text: paths
 * name the object as it was, so list items go from the last, after every set.
 */
export function changedObject(object: unknown, changes: readonly Change[]): unknown {
  const copy = structuredClone(object)
  const deletes = changes
    .filter((c) => c.op === 'delete')
    .sort((a, b) => comparePaths(b.path, a.path))
  for (const c of [...changes.filter((c) => c.op !== 'delete'), ...deletes]) {
    if (c.op === 'append') {
      ;(valueAt(copy, c.path) as unknown[]).push(c.value)
      continue
    }
    const parent = valueAt(copy, c.path.slice(0, -1)) as Record<string | number, unknown>
    const key = c.path.at(-1) as string | number
    if (c.op === 'set') parent[key] = c.value
    else if (Array.isArray(parent)) parent.splice(Number(key), 1)
    else delete parent[key]
  }
  return copy
}

// Index by index: numbers as numbers, so that item 10 comes after item 9.
function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]]
    if (x === y) continue
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1
  }
  return a.length - b.length
}
