// New YAML text for values spliced into a file, in the file's own style: its line break, its
// indentation step, and whether its block sequences are indented under their key.
import { Document, isMap, isSeq, type Node, visit } from 'yaml'
import { column, lineBreakOf } from './yaml-text.ts'

export interface Style {
  lineBreak: string
  indent: number
  indentSeq: boolean
}

/** The style of `doc`, read from its first nested block map and block sequence. */
export function styleOf(text: string, doc: Document): Style {
  let indent: number | undefined
  let indentSeq: boolean | undefined
  visit(doc, {
    Pair(_key, pair) {
      const nested = nestedBlock(text, pair.key as Node | null, pair.value as Node | null)
      if (nested?.isMap && indent === undefined && nested.step > 0) indent = nested.step
      if (nested && !nested.isMap && indentSeq === undefined) indentSeq = nested.step > 0
      return indent !== undefined && indentSeq !== undefined ? visit.BREAK : undefined
    },
  })
  return { lineBreak: lineBreakOf(text), indent: indent ?? 2, indentSeq: indentSeq ?? true }
}

// A block collection under a key: how much further right it starts than the key.
function nestedBlock(text: string, key: Node | null, value: Node | null) {
  if (!key?.range || !value?.range || !(isMap(value) || isSeq(value)) || value.flow)
    return undefined
  const step = column(text, value.range[0]) - column(text, key.range[0])
  return { isMap: isMap(value), step }
}

/** `key: value` as block lines starting at column `at`, without a final line break. */
export function blockPair(key: string, value: unknown, style: Style, at: number): string {
  return indented(render({ [key]: value }, style), style, at)
}

/** `- value` as block lines starting at column `at`, without a final line break. */
export function blockItem(value: unknown, style: Style, at: number): string {
  return indented(render([value], style), style, at)
}

/** The text after `key:` for `value` in a block map whose key is at column `at`. */
export function blockValue(value: unknown, style: Style, at: number): string {
  return blockPair('k', value, style, at).slice(at + 'k:'.length)
}

/** `value` on one line, as an item of a flow collection. */
export function flow(value: unknown, type?: string): string {
  return unwrap(new Document([value]), type)
}

/** `key: value` on one line, as an entry of a flow map. */
export function flowPair(key: string | number, value: unknown): string {
  return unwrap(new Document({ [key]: value }))
}

/** A scalar in the style `type` it replaces, where that style can hold it. */
export function scalar(value: unknown, type: string | undefined): string {
  // A block scalar written here would be indented for the top level: many lines go in quotes.
  const multiline = typeof value === 'string' && value.includes('\n')
  return new Document(value)
    .toString({ defaultStringType: multiline ? 'QUOTE_DOUBLE' : stringType(type), lineWidth: 0 })
    .replace(/\n$/, '')
}

// Rendered inside a one-item flow collection, so that quoting is what flow context needs (a
// plain `a,b` would be two items there), then taken out of it.
function unwrap(doc: Document, type?: string): string {
  const text = doc
    .toString({ collectionStyle: 'flow', lineWidth: 0, defaultStringType: stringType(type) })
    .replace(/\n$/, '')
  return text.slice(2, -2)
}

function stringType(type: string | undefined) {
  return type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? type : 'PLAIN'
}

/** Whether a value renders as a block collection (a non-empty map or list). */
export function isBlock(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0
}

function render(value: unknown, style: Style): string {
  return new Document(value)
    .toString({ indent: style.indent, indentSeq: style.indentSeq, lineWidth: 0 })
    .replace(/\n$/, '')
}

function indented(text: string, style: Style, at: number): string {
  const pad = ' '.repeat(at)
  return text
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join(style.lineBreak)
}
