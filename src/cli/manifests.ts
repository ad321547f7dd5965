// What `inject` and `uninject` share at the edge: reading the manifests they are given (files,
// directories, standard input), writing the result, and saying what was done.
//
// Several inputs are written as one stream on standard output, each file's documents after the
// last one's, with a `---` between files: what `linkerd inject DIR`, `kubectl kustomize` and
// `kustomize build` print, ready for `| kubectl apply -f -`. `--in-place` writes each file back
// instead, and only the files that changed, for a GitOps repository to commit.
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadCatalog } from '../catalog/load.ts'
import type { Catalog } from '../injection/catalog.ts'
import { describeWhere, type Message, type Outcome, type Source } from '../offline/files.ts'
import { FlagFileError, readFlagFile } from '../shared/flag-file.ts'
import { type FlagValues, type Parsed, readFlags } from '../shared/flags.ts'
import { isShown, LOG_LEVEL_OPTION, type LogLevel, parseLogLevel } from '../shared/log-levels.ts'
import type { Io } from './io.ts'
import { selfImage } from './self-image.ts'

/** How standard input is named on the command line, and in messages. */
export const STDIN = '-'
const STDIN_NAME = '(standard input)'

/** How the result is written, and how much is said. */
export interface OutputFlags {
  inPlace: boolean
  /** Which messages are printed: info lists what was done, warn and error what went wrong. */
  logLevel: LogLevel
}

/** Every input named by `paths`: a file, every .yaml/.yml under a directory in name order, or `-`. */
export async function readInputs(paths: readonly string[], io: Io): Promise<Source[]> {
  const sources: Source[] = []
  for (const path of paths) {
    if (path === STDIN) sources.push({ name: STDIN_NAME, text: await io.stdin() })
    else sources.push(...(await readPath(path)))
  }
  return sources
}

async function readPath(path: string): Promise<Source[]> {
  const info = await stat(path).catch((error: unknown) => {
    throw new FlagFileError('--filename', path, error)
  })
  if (!info.isDirectory()) return [{ name: path, text: await readFlagFile('--filename', path) }]
  // Symbolic links to files count; those to directories are not followed (no loops).
  const entries = await readdir(path, { recursive: true, withFileTypes: true })
  const candidates = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
  const names = (
    await Promise.all(candidates.map(async (name) => ((await stat(name)).isFile() ? [name] : [])))
  )
    .flat()
    // By code point, not locale, so that every machine reads a directory in the same order.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return Promise.all(
    names.map(async (name) => ({ name, text: await readFlagFile('--filename', name) })),
  )
}

/** Writes the outcome, prints its messages; exit code 1 if any is an error. */
export async function writeOutcome(outcome: Outcome, flags: OutputFlags, io: Io): Promise<number> {
  if (flags.inPlace) {
    for (const { source, text } of outcome.outputs)
      if (text !== source.text) await writeFile(source.name, text)
  } else io.write(concatenate(outcome.outputs.map((o) => o.text)))
  printMessages(outcome.messages, flags.logLevel, io)
  return outcome.messages.some((m) => m.level === 'error') ? 1 : 0
}

// One stream of documents: a `---` between files unless the next one starts with its own, and a
// line break before it where a file ends without one. A single file is written as it is.
function concatenate(texts: readonly string[]): string {
  return texts.reduce((out, text) => out + (out === '' ? '' : separator(out, text)) + text, '')
}

function separator(before: string, next: string): string {
  const lineBreak = next.includes('\r\n') ? '\r\n' : '\n'
  const ended = before.endsWith('\n') ? '' : lineBreak
  return /^---(\s|$)/.test(next) ? ended : `${ended}---${lineBreak}`
}

function printMessages(messages: readonly Message[], level: LogLevel, io: Io): void {
  for (const m of messages)
    if (isShown(m.level === 'warning' ? 'warn' : m.level, level))
      io.err(`${m.level}: ${describeWhere(m.where)}: ${m.text}`)
}

/** The flags both commands take for their inputs and output. */
export const MANIFEST_OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  config: { type: 'string' },
  image: { type: 'string' },
  'in-place': { type: 'boolean', short: 'i' },
  quiet: { type: 'boolean', short: 'q' },
  ...LOG_LEVEL_OPTION,
} as const

/** The common flags, checked: at least one input, and no standard input with --in-place. */
export function readManifestFlags(values: Record<string, unknown>) {
  const filenames = (values.filename as string[] | undefined) ?? []
  const inPlace = values['in-place'] === true
  const errors: string[] = []
  if (filenames.length === 0)
    errors.push('-f FILE is required (a file, a directory, or - for standard input)')
  if (inPlace && filenames.includes(STDIN))
    errors.push('--in-place cannot write back to standard input (-f -)')
  if (filenames.filter((f) => f === STDIN).length > 1) errors.push('-f - can be given once')
  const level = logLevel(values.quiet === true, values['log-level'] as FlagValues[string])
  if ('error' in level) errors.push(level.error)
  const optional = { config: values.config, image: values.image }
  const given = Object.fromEntries(
    Object.entries(optional).filter(([, v]) => typeof v === 'string'),
  ) as {
    config?: string
    image?: string
  }
  const chosen: LogLevel = 'level' in level ? level.level : 'info'
  return { errors, flags: { filenames, inPlace, logLevel: chosen, ...given } }
}

// inject's and uninject's flags: the common ones, the namespace, and whether to edit Services.
const EDIT_OPTIONS = {
  ...MANIFEST_OPTIONS,
  namespace: { type: 'string' },
  'retarget-services': { type: 'boolean' },
} as const

export interface EditFlags extends OutputFlags {
  filenames: string[]
  config?: string
  image?: string
  namespace?: string
  retargetServices: boolean
}

/** What inject and uninject do to the inputs, given the catalog and their flags. */
export type Edit = (
  sources: readonly Source[],
  catalog: Catalog,
  options: { namespace: string; retargetServices: boolean },
) => Outcome

/** Runs inject or uninject from parsed flags: the catalog, the inputs, the edit, the outputs. */
export async function runEdit(flags: EditFlags, io: Io, edit: Edit): Promise<number> {
  const loaded = await catalogOf(flags, io)
  if (!loaded.ok) {
    io.err(loaded.errors.map((e) => `error: ${e}`).join('\n'))
    return 1
  }
  const sources = await readInputs(flags.filenames, io)
  const options = {
    namespace: flags.namespace ?? 'default',
    retargetServices: flags.retargetServices,
  }
  return writeOutcome(edit(sources, loaded.catalog, options), flags, io)
}

/** inject's and uninject's flags, read and checked. */
export function parseEditFlags(args: readonly string[]): Parsed<EditFlags> {
  return readFlags(args, EDIT_OPTIONS, readEditFlags)
}

// The common flags, checked as for every manifest command, and the namespace and Services flags.
function readEditFlags(values: Record<string, unknown>): Parsed<EditFlags> {
  const { errors, flags } = readManifestFlags(values)
  if (errors.length) return { ok: false, errors }
  const namespace = typeof values.namespace === 'string' ? { namespace: values.namespace } : {}
  const retargetServices = values['retarget-services'] === true
  return { ok: true, value: { ...flags, ...namespace, retargetServices } }
}

/** The catalog of --config (or the built-in one), or the errors that make it invalid. */
export async function catalogOf(flags: { config?: string; image?: string }, io: Io) {
  const source = flags.config
    ? { name: flags.config, text: await readFlagFile('--config', flags.config) }
    : undefined
  return loadCatalog(source, selfImage(flags.image, io.version))
}

// -q is short for --log-level warn: both at once say the same thing twice.
function logLevel(quiet: boolean, raw: FlagValues[string]) {
  if (quiet && raw !== undefined) return { error: '--quiet: --log-level says the same; give one' }
  if (quiet) return { level: 'warn' as const }
  const parsed = parseLogLevel(raw)
  return 'level' in parsed ? parsed : { error: `--log-level: ${parsed.error}` }
}
