// Edits to a YAML file as splices of its text: what a change does not touch keeps its bytes
// (comments, quoting, flow maps, indentation, line breaks). A new map key or list item goes after
// the last one of its collection, in the file's style; a replaced scalar keeps its quoting; a
// removed key or item takes its lines, or its `, item` in a flow collection, with it. An insertion
// and the removal of what it inserted are exact inverses, so `uninject` gives the original back.
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'
import { type Change, nodeAt, pairOf, pathText, SpliceError, seqAt } from './yaml-change.ts'
import { deletedItems, widenDeletes } from './yaml-deletes.ts'
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

/** Replace `text.slice(start, end)` with `text`. */
export interface Splice {
  start: number
  end: number
  text: string
}

/** The splices that make `changes` to `doc`, parsed from `text`, in `style`; throws SpliceError. */
export function splicesFor(
  text: string,
  doc: Document,
  changes: readonly Change[],
  style: Style = styleOf(text, doc),
): Splice[] {
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
  return replaceNode(item, parent.flow === true, change.value, quotingOf(source.doc, change))
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
  return pair ? replacePair(source, map, pair, change) : addPair(source, map, key, change.value)
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

function replacePair(source: Source, map: YAMLMap, pair: Pair, change: SetChange): Splice {
  const { value } = change
  const node = pair.value as Node | null
  if (isAlias(node)) throw new SpliceError('a value written as an alias')
  const inFlow = map.flow === true
  const stays = node?.range && (inFlow || (isScalar(node) ? !isBlock(value) : node.flow))
  if (node && stays) return replaceNode(node, inFlow, value, quotingOf(source.doc, change))
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

type SetChange = Extract<Change, { op: 'set' }>

// The quoting of the scalar a change names as its model, if it names one that is there.
function quotingOf(doc: Document, change: SetChange): Scalar.Type | undefined {
  const model = change.like && nodeAt(doc, change.like)
  return isScalar(model) ? model.type : undefined
}

// A scalar is written in the style it had, or `quoting`; a flow collection, or a scalar in one,
// stays flow.
function replaceNode(node: Node, inFlow: boolean, value: unknown, quoting?: Scalar.Type): Splice {
  if (isAlias(node)) throw new SpliceError('a value written as an alias')
  if (!isScalar(node) && !node.flow) throw new SpliceError('a block collection replaced whole')
  const [start, end] = node.range as [number, number, number]
  const type = quoting ?? (isScalar(node) ? node.type : undefined)
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
