// The files the offline commands read, parsed once: their documents as written (for splicing)
// and as plain objects (for the injection code), and where each message about them points.
import { type Document, LineCounter, parseAllDocuments } from 'yaml'
import { findTemplates, type TemplateSite } from './templates.ts'
import { type Change, SpliceError } from './yaml-change.ts'
import { type Style, styleOf } from './yaml-render.ts'
import { applySplices, type Splice, splicesFor } from './yaml-splice.ts'

/** An input: a file's name as given (or `-` for standard input) and its text. */
export interface Source {
  name: string
  text: string
}

/** What a message is about: a file, and a document of it and the object it holds, if known. */
export interface Where {
  file: string
  /** 1-based. */
  document?: number
  /** "Deployment shop/web". */
  object?: string
}

export interface Message {
  level: 'error' | 'warning' | 'info'
  where: Where
  text: string
}

/** A parsed input and the splices made to it so far. */
export interface ParsedFile {
  source: Source
  docs: Document[]
  objects: unknown[]
  splices: Splice[]
  /** Each changed document's style, read once: a List of many Pods is not read again per Pod. */
  styles: Map<Document, Style>
}

/** A document's object with its place, as the offline commands walk them. */
export interface Located {
  file: ParsedFile
  index: number
  /** The document as written, for splices. */
  yaml: Document
  /** The document as a plain object, for the injection code. */
  object: unknown
}

/** Parses a source; a YAML error anywhere leaves the whole file out, named by its line. */
export function parseSource(source: Source): { file?: ParsedFile; messages: Message[] } {
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(source.text, { lineCounter, prettyErrors: true })
  const list = Array.isArray(docs) ? docs : []
  const messages: Message[] = list.flatMap((doc, i) =>
    doc.errors.map((e) => ({
      level: 'error' as const,
      where: { file: source.name, document: i + 1 },
      text: `line ${e.linePos?.[0].line}: ${e.message.split('\n')[0]?.replace(/:$/, '')}; the file is left as it is`,
    })),
  )
  if (messages.length) return { messages }
  const objects = list.map((doc) => doc.toJS() as unknown)
  return { file: { source, docs: list, objects, splices: [], styles: new Map() }, messages }
}

/** Every document of every file, in order. */
export function documentsOf(files: readonly ParsedFile[]): Located[] {
  return files.flatMap((file) =>
    file.docs.map((yaml, index) => ({ file, index, yaml, object: file.objects[index] })),
  )
}

/** Every Pod template of a document, with where messages about it point. */
export function templatesOf(doc: Located): { site: TemplateSite; where: Where }[] {
  return findTemplates(doc.object).map((site) => ({
    site,
    where: { file: doc.file.source.name, document: doc.index + 1, object: site.owner },
  }))
}

/** Makes `changes` to a document, or says why they cannot be made in place. */
export function change(doc: Located, changes: readonly Change[]): string | undefined {
  try {
    const { source, styles, splices } = doc.file
    const style = styles.get(doc.yaml) ?? styleOf(source.text, doc.yaml)
    styles.set(doc.yaml, style)
    splices.push(...splicesFor(source.text, doc.yaml, changes, style))
    return undefined
  } catch (error) {
    if (error instanceof SpliceError) return error.message
    throw error
  }
}

/** What a command does to one Pod template, and, after all of them, to the documents around. */
export interface TemplateEdit<T> {
  /** Edits one template; what it keeps, the edit of the documents around gets. */
  template(doc: Located, site: TemplateSite, where: Where): { messages: Message[]; kept?: T }
  /** Edits the other documents (the Services beside the templates) once every one was seen. */
  around(kept: readonly T[]): Message[]
}

/**
 * Runs an edit over every Pod template of `sources`, then over the documents around them, and
 * gives each file back with the splices made: inject's and uninject's one pipeline.
 */
export function editTemplates<T>(
  sources: readonly Source[],
  edit: (docs: readonly Located[]) => TemplateEdit<T>,
): Outcome {
  const parsed = sources.map(parseSource)
  const messages = parsed.flatMap((p) => p.messages)
  const docs = documentsOf(parsed.flatMap((p) => (p.file ? [p.file] : [])))
  const { template, around } = edit(docs)
  const kept: T[] = []
  for (const doc of docs) {
    for (const { site, where } of templatesOf(doc)) {
      const result = template(doc, site, where)
      messages.push(...result.messages)
      if (result.kept !== undefined) kept.push(result.kept)
    }
  }
  messages.push(...around(kept))
  return finish(sources, parsed, messages)
}

/** Each input's text after the command (as it was where nothing changed), and what was done. */
export interface Outcome {
  outputs: { source: Source; text: string }[]
  messages: Message[]
}

/** Each file with its splices made; a file whose splices collide is left as it is. */
export function finish(
  sources: readonly Source[],
  parsed: readonly { file?: ParsedFile }[],
  messages: Message[],
): Outcome {
  const outputs = sources.map((source, i) => {
    const file = parsed[i]?.file
    if (!file) return { source, text: source.text }
    try {
      return { source, text: outputOf(file) }
    } catch (error) {
      if (!(error instanceof SpliceError)) throw error
      const text = `${error.message}; the file is left as it is`
      messages.push({ level: 'error', where: { file: source.name }, text })
      return { source, text: source.text }
    }
  })
  return { outputs, messages }
}

/** The file's text with its splices made. */
export function outputOf(file: ParsedFile): string {
  return applySplices(file.source.text, file.splices)
}

/** "shop.yaml: document 2 (Deployment shop/web)". */
export function describeWhere(where: Where): string {
  const document = where.document === undefined ? '' : `: document ${where.document}`
  const object = where.object === undefined ? '' : ` (${where.object})`
  return `${where.file}${document}${object}`
}
