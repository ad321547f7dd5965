// Positions in YAML source text, as the yaml package's node ranges give them: where a node's
// content ends, where its line begins and ends, and how far it is indented.
import { isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml'

/** The end of what `node` holds, leaving out the comments and blank lines that trail it. */
export function contentEnd(node: Node): number {
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    const last = node.items.at(-1)
    if (last !== undefined) return itemEnd(last as Node | Pair)
  }
  return (node.range as [number, number, number])[1]
}

/** The end of a collection item: a pair ends where its value (or key, if none) ends. */
export function itemEnd(item: Node | Pair): number {
  if (!isPair(item)) return contentEnd(item)
  const value = item.value as Node | null
  if (value?.range) return contentEnd(value)
  return contentEnd(item.key as Node)
}

/** Where the text of a collection item begins: a pair's key, or the item node. */
export function itemStart(item: Node | Pair): number {
  const node = (isPair(item) ? item.key : item) as Node
  return (node.range as [number, number, number])[0]
}

/** The first position of the line that holds `pos`. */
export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1
}

/**
 * Where the line that `pos` ends (or lies on) breaks: its `\r\n` or `\n`, or the end of the text.
 * A node whose range ends just after a line break (a block scalar) ends on that line.
 */
export function lineEnd(text: string, pos: number): number {
  const at = text[pos - 1] === '\n' ? pos - 1 : text.indexOf('\n', pos)
  const end = at === -1 ? text.length : at
  return text[end - 1] === '\r' ? end - 1 : end
}

/** Where the line break before the line that holds `pos` begins; -1 on the first line. */
export function breakBefore(text: string, pos: number): number {
  const start = lineStart(text, pos)
  if (start === 0) return -1
  return text[start - 2] === '\r' ? start - 2 : start - 1
}

/** The column of `pos`. */
export function column(text: string, pos: number): number {
  return pos - lineStart(text, pos)
}

/** Whether only spaces (and, with `dash`, one block sequence indicator) precede `pos` on its line. */
export function startsLine(text: string, pos: number, dash = false): boolean {
  const before = text.slice(lineStart(text, pos), pos)
  return dash ? /^ *-[ \t]+$/.test(before) : /^ *$/.test(before)
}

/** The line break the text uses: CRLF where its first line break is one. */
export function lineBreakOf(text: string): string {
  const first = text.indexOf('\n')
  return first > 0 && text[first - 1] === '\r' ? '\r\n' : '\n'
}

/** The scalar's style as written, for a replacement written alike. */
export function scalarType(node: Node | null | undefined): string | undefined {
  return isScalar(node) ? node.type : undefined
}
