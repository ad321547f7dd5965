// Edits to a YAML file as splices of its text: what a change does not touch keeps its bytes
// (comments, quoting, flow maps, indentation, line breaks). A new map key or list item goes after
// the last one of its collection, in the file's style; a replaced scalar keeps its quoting; a
// removed key or item takes its lines, or its `, item` in a flow collection, with it. An insertion
// and the removal of what it inserted are exact inverses, so `uninject` gives the original back.
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
import type { Path } from './templates.ts'
import {
  blockItem,
  blockPair,
  blockValue,
  flow,
  flowPair,
  isBlock,
  type Style,
  scalar,
  styleOf,
} from './yaml-render.ts'
import {
  breakBefore,
  column,
  contentEnd,
  itemEnd,
  itemStart,
  lineEnd,
  startsLine,
} from './yaml-text.ts'

/** A change to a document, with paths into the document as written. */
export type Change =
  /** Adds or replaces a map key, or replaces a list item. */
  | { op: 'set'; path: Path; value: unknown }
  /** Adds an item at the end of the list at `path`. */
  | { op: 'append'; path: Path; value: unknown }
  /** Removes a map key or a list item; a collection injection added whole goes with its key. */
  | { op: 'delete'; path: Path }

/** Replace `text.slice(start, end)` with `text`. */
export interface Splice {
  start: number
  end: number
  text: string
}

/** A change this module cannot make without rewriting more than the changed node. */
export class SpliceError extends Error {
  override name = 'SpliceError'
}

/** The splices that make `changes` to `doc`, parsed from `text`; throws SpliceError. */
export function splicesFor(text: string, doc: Document, changes: readonly Change[]): Splice[] {
  const style = styleOf(text, doc)
  const widened = widenDeletes(doc, changes)
  const source = { text, doc, style, added: new Map(), deleting: deletedItems(doc, widened) }
  return widened.map((change) => spliceFor(source, change))
}

/** `text` with `splices` made; splices at one position go in the order given. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = splices
    .map((splice, order) => ({ ...splice, order }))
    .sort((a, b) => a.start - b.start || a.order - b.order)
  let out = ''
  let at = 0
  for (const splice of sorted) {
    if (splice.start < at) throw new SpliceError('two changes overlap')
    out += text.slice(at, splice.start) + splice.text
    at = splice.end
  }
  return out + text.slice(at)
}

interface Source {
  text: string
  doc: Document
  style: Style
  /** Items added so far to each empty flow collection: all but the first need a comma. */
  added: Map<YAMLMap | YAMLSeq, number>
  /** The items each change deletes, by collection, so that flow separators go once. */
  deleting: Map<unknown, Set<unknown>>
}

function deletedItems(doc: Document, changes: readonly Change[]): Map<unknown, Set<unknown>> {
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

function spliceFor(source: Source, change: Change): Splice {
  if (change.op === 'append') return append(source, seqAt(source.doc, change.path), change.value)
  const parent = nodeAt(source.doc, change.path.slice(0, -1))
  const key = change.path.at(-1)
  if (key === undefined) throw new SpliceError('a change to the whole document')
  if (isMap(parent)) return mapChange(source, parent, key, change)
  if (!isSeq(parent)) throw new SpliceError(`${pathText(change.path)}: no map or list holds it`)
  const item = parent.items[Number(key)] as Node | undefined
  if (item === undefined) throw new SpliceError(`${pathText(change.path)}: no such item`)
  if (change.op === 'delete') return remove(source, parent, item)
  return replaceNode(item, parent.flow === true, change.value)
}

function mapChange(
  source: Source,
  map: YAMLMap,
  key: string | number,
  change: Exclude<Change, { op: 'append' }>,
): Splice {
  const pair = pairOf(map, key)
  if (change.op === 'delete') {
    if (!pair) throw new SpliceError(`${pathText(change.path)}: no such key`)
    return remove(source, map, pair)
  }
  return pair
    ? replacePair(source, map, pair, change.value)
    : addPair(source, map, key, change.value)
}

function addPair(source: Source, map: YAMLMap, key: string | number, value: unknown): Splice {
  const { text, style } = source
  const last = map.items.at(-1)
  if (map.flow) {
    if (!last) return intoEmpty(source, map, flowPair(key, value))
    return insertAt(itemEnd(last), `, ${flowPair(key, value)}`)
  }
  const first = map.items[0]
  if (!first || !last) throw new SpliceError('an empty block map')
  const at = column(text, itemStart(first))
  const pos = lineEnd(text, itemEnd(last))
  return insertAt(pos, style.lineBreak + blockPair(String(key), value, style, at))
}

function replacePair(source: Source, map: YAMLMap, pair: Pair, value: unknown): Splice {
  const node = pair.value as Node | null
  if (isAlias(node)) throw new SpliceError('a value written as an alias')
  const inFlow = map.flow === true
  const stays = node?.range && (inFlow || (isScalar(node) ? !isBlock(value) : node.flow))
  if (node && stays) return replaceNode(node, inFlow, value)
  // A block value, or a value where there was none: everything after `key:` is rewritten.
  const { text, style } = source
  const key = pair.key as Node
  const colon = text.indexOf(':', (key.range as [number, number, number])[1]) + 1
  const end = !node?.range
    ? colon
    : isScalar(node)
      ? node.range[1]
      : lineEnd(text, contentEnd(node))
  return { start: colon, end, text: blockValue(value, style, column(text, itemStart(pair))) }
}

// A scalar is written in the style it had; a flow collection, or a scalar in one, stays flow.
function replaceNode(node: Node, inFlow: boolean, value: unknown): Splice {
  if (isAlias(node)) throw new SpliceError('a value written as an alias')
  if (!isScalar(node) && !node.flow) throw new SpliceError('a block collection replaced whole')
  const [start, end] = node.range as [number, number, number]
  const type = isScalar(node) ? node.type : undefined
  const written = !inFlow && !isBlock(value) ? scalar(value, type) : flow(value, type)
  return { start, end, text: start === end ? ` ${written}` : written }
}

function append(source: Source, seq: YAMLSeq, value: unknown): Splice {
  const { text, style } = source
  const last = seq.items.at(-1) as Node | undefined
  if (seq.flow) {
    if (!last) return intoEmpty(source, seq, flow(value))
    return insertAt(itemEnd(last), `, ${flow(value)}`)
  }
  const start = (seq.range as [number, number, number])[0]
  if (text[start] !== '-') throw new SpliceError('a block list that does not start with "-"')
  const pos = lineEnd(text, contentEnd(seq))
  return insertAt(pos, style.lineBreak + blockItem(value, style, column(text, start)))
}

// A block key or item takes its lines, from the line break before it to the end of its last
// line: the inverse of addPair and append. A flow one takes its separator.
function remove(source: Source, parent: YAMLMap | YAMLSeq, item: Node | Pair): Splice {
  const { text } = source
  const items = parent.items as (Node | Pair)[]
  const i = items.indexOf(item)
  if (parent.flow) return removeFlowItem(source, parent, i)
  const start = itemStart(item)
  if (!startsLine(text, start, isSeq(parent)))
    throw new SpliceError('a block key or item that does not start its line')
  const from = breakBefore(text, start)
  const to = lineEnd(text, itemEnd(item))
  if (from >= 0) return { start: from, end: to, text: '' }
  const next = text.indexOf('\n', to)
  return { start: 0, end: next === -1 ? text.length : next + 1, text: '' }
}

function intoEmpty(source: Source, node: YAMLMap | YAMLSeq, item: string): Splice {
  const before = source.added.get(node) ?? 0
  source.added.set(node, before + 1)
  return insertAt(openingOf(source.text, node) + 1, before ? `, ${item}` : item)
}

// An item with a kept one before it takes the separator before it; the others take the one after
// them: so neighbours deleted together take each separator once.
function removeFlowItem(source: Source, parent: YAMLMap | YAMLSeq, i: number): Splice {
  const items = parent.items as (Node | Pair)[]
  const item = items[i] as Node | Pair
  const deleted = source.deleting.get(parent) ?? new Set()
  const keptBefore = items.slice(0, i).some((other) => !deleted.has(other))
  const before = items[i - 1]
  const after = items[i + 1]
  if (keptBefore && before) return { start: itemEnd(before), end: itemEnd(item), text: '' }
  if (after) return { start: itemStart(item), end: itemStart(after), text: '' }
  return { start: itemStart(item), end: itemEnd(item), text: '' }
}

function insertAt(pos: number, text: string): Splice {
  return { start: pos, end: pos, text }
}

function openingOf(text: string, node: YAMLMap | YAMLSeq): number {
  const start = (node.range as [number, number, number])[0]
  const open = node.flow ? text.indexOf(isMap(node) ? '{' : '[', start) : -1
  if (open === -1) throw new SpliceError('a flow collection without its bracket')
  return open
}

// Deleting every key of a collection that injection must have added whole deletes the key or
// item that holds it: a block collection cannot be empty, and a flow collection within a flow one
// is how addPair writes a new value there. An empty flow collection under a block key (`[]`)
// was written by the user and stays. (A user's empty flow collection inside another flow one,
// `{initContainers: []}`, cannot be told from ours: it goes too.)
function widenDeletes(doc: Document, changes: readonly Change[]): Change[] {
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

function seqAt(doc: Document, path: Path): YAMLSeq {
  const node = nodeAt(doc, path)
  if (!isSeq(node)) throw new SpliceError(`${pathText(path)}: not a list`)
  return node
}

function pairOf(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find(
    (pair) => isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(key),
  ) as Pair | undefined
}

function pathText(path: Path): string {
  return `/${path.join('/')}`
}
