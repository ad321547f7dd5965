// Which deletions widen to the collection that holds them, and which items each collection
// loses, so that inject then uninject gives the original bytes back.
import { type Document, isMap, isSeq, type Node } from 'yaml'
import type { Path } from './templates.ts'
import { type Change, nodeAt, pairOf, pathText } from './yaml-change.ts'

// Deleting every key of a collection that injection must have added whole deletes the key or
// item that holds it: a block collection cannot be empty, and a flow collection within a flow one
// is how addPair writes a new value there. An empty flow collection under a block key (`[]`)
// was written by the user and stays. (A user's empty flow collection inside another flow one,
// `{initContainers: []}`, cannot be told from ours: it goes too.)
export function widenDeletes(doc: Document, changes: readonly Change[]): Change[] {
  let current = [...changes]
  for (;;) {
    const widened = widenOnce(doc, current)
    if (widened.length === current.length && widened.every((c, i) => c === current[i]))
      return current
    current = widened
  }
}

function widenOnce(doc: Document, changes: readonly Change[]): Change[] {
  const emptied = emptiedBlocks(doc, changes)
  if (emptied.size === 0) return [...changes]
  const out: Change[] = []
  for (const change of changes) {
    const parent = change.op === 'delete' ? pathText(change.path.slice(0, -1)) : ''
    if (!emptied.has(parent)) out.push(change)
    else if (!out.some((c) => c.op === 'delete' && pathText(c.path) === parent))
      out.push({ op: 'delete', path: change.path.slice(0, -1) })
  }
  return out
}

// The block collections (by path) whose every key or item `changes` deletes.
function emptiedBlocks(doc: Document, changes: readonly Change[]): Set<string> {
  const byParent = new Map<string, { path: Path; keys: Set<string> }>()
  for (const change of changes) {
    if (change.op !== 'delete' || change.path.length < 2) continue
    const path = change.path.slice(0, -1)
    const entry = byParent.get(pathText(path)) ?? { path, keys: new Set() }
    entry.keys.add(String(change.path.at(-1)))
    byParent.set(pathText(path), entry)
  }
  const emptied = new Set<string>()
  for (const [text, { path, keys }] of byParent) {
    const node = nodeAt(doc, path)
    if ((isMap(node) || isSeq(node)) && keys.size === node.items.length && addedWhole(doc, path))
      emptied.add(text)
  }
  return emptied
}

function addedWhole(doc: Document, path: Path): boolean {
  const node = nodeAt(doc, path)
  if (!(isMap(node) || isSeq(node))) return false
  if (!node.flow) return true
  const parent = path.length ? nodeAt(doc, path.slice(0, -1)) : undefined
  return (isMap(parent) || isSeq(parent)) && parent.flow === true
}

/** The items `changes` delete, by the collection that holds them. */
export function deletedItems(
  doc: Document,
  changes: readonly Change[],
): Map<unknown, Set<unknown>> {
  const deleting = new Map<unknown, Set<unknown>>()
  for (const change of changes) {
    if (change.op !== 'delete') continue
    const parent = nodeAt(doc, change.path.slice(0, -1))
    const item = itemOf(parent, change.path.at(-1))
    if (parent && item !== undefined)
      deleting.set(parent, (deleting.get(parent) ?? new Set()).add(item))
  }
  return deleting
}

function itemOf(parent: Node | undefined, key: string | number | undefined): unknown {
  if (key === undefined) return undefined
  if (isMap(parent)) return pairOf(parent, key)
  return isSeq(parent) ? parent.items[Number(key)] : undefined
}
