// `sidecar-patterns inject -f FILE`: the webhook's injection, offline, on YAML manifests.
import { loadCatalog } from '../catalog/load.ts'
import { injectDocuments } from '../offline/inject-documents.ts'
import { readFlagFile } from '../shared/flag-file.ts'
import { type FlagValues, type Parsed, readFlags } from '../shared/flags.ts'
import {
  isShown,
  LOG_LEVEL_HELP,
  LOG_LEVEL_OPTION,
  type LogLevel,
  parseLogLevel,
} from '../shared/log-levels.ts'
import type { Io } from './io.ts'
import { selfImage } from './self-image.ts'
import { withFlags } from './usage.ts'

export const INJECT_USAGE = `Usage: sidecar-patterns inject -f FILE [options]

Adds sidecars to every Pod template in multi-document YAML (Pod, Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job, CronJob, List) exactly as the webhook would, and writes the result to
standard output; every other document and field is kept as it was. Namespace objects in the same
input stand for the cluster's namespaces (labels for policies, patterns/sidecar defaults).

Options:
  -f, --filename FILE  the manifests; - reads standard input
  --config FILE        catalog file, as for serve (default: the built-in catalog)
  --namespace NAME     namespace of objects that name none (default: default)
  --image REF          this project's image, run by the metrics sidecar
  --log-level LEVEL    which messages to report: ${LOG_LEVEL_HELP}
  -q, --quiet          report only warnings and errors (--log-level warn)
  -h, --help           show this help

Exit status: 0 when every document was handled, 1 when one was refused (nothing is written), 2 on
bad flags.`

interface InjectFlags {
  filename: string
  config?: string
  namespace?: string
  image?: string
  logLevel: LogLevel
}

/** Reads manifests, injects, and writes them; messages go to standard error. */
export async function inject(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), INJECT_USAGE, io, (flags) => run(flags, io))
}

async function run(flags: InjectFlags, io: Io): Promise<number> {
  const source = flags.config
    ? { name: flags.config, text: await readFlagFile('--config', flags.config) }
    : undefined
  const loaded = loadCatalog(source, selfImage(flags.image, io.version))
  if (!loaded.ok) {
    io.err(loaded.errors.map((e) => `error: ${e}`).join('\n'))
    return 1
  }
  const text =
    flags.filename === '-' ? await io.stdin() : await readFlagFile('--filename', flags.filename)
  const result = injectDocuments(text, {
    catalog: loaded.catalog,
    namespace: flags.namespace ?? 'default',
  })
  for (const m of result.messages)
    if (isShown(m.level === 'warning' ? 'warn' : m.level, flags.logLevel))
      io.err(`${m.level}: ${m.where}: ${m.text}`)
  if (result.output === undefined) return 1
  io.write(result.output)
  return 0
}

const OPTIONS = {
  filename: { type: 'string', short: 'f' },
  config: { type: 'string' },
  namespace: { type: 'string' },
  image: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  ...LOG_LEVEL_OPTION,
} as const

function parseFlags(args: readonly string[]): Parsed<InjectFlags> {
  return readFlags(args, OPTIONS, (values): Parsed<InjectFlags> => {
    const { filename, config, namespace, image, quiet } = values as Partial<
      Record<string, string>
    > & { quiet?: boolean }
    if (!filename) return { ok: false, errors: ['-f FILE is required (- for standard input)'] }
    const level = logLevel(quiet === true, values['log-level'])
    if ('error' in level) return { ok: false, errors: [level.error] }
    const given = Object.entries({ config, namespace, image }).filter(([, v]) => v !== undefined)
    return { ok: true, value: { filename, logLevel: level.level, ...Object.fromEntries(given) } }
  })
}

// -q stays the short way to say --log-level warn; both at once would say two things.
function logLevel(quiet: boolean, raw: FlagValues[string]) {
  if (quiet && raw !== undefined) return { error: '--quiet: --log-level says the same; give one' }
  if (quiet) return { level: 'warn' as const }
  const parsed = parseLogLevel(raw)
  return 'level' in parsed ? parsed : { error: `--log-level: ${parsed.error}` }
}
