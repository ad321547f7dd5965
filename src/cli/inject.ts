// `sidecar-patterns inject -f FILE`: the webhook's injection, offline, on YAML manifests.
import { readFile } from 'node:fs/promises'
import { loadCatalog } from '../catalog/load.ts'
import { injectDocuments } from '../offline/inject-documents.ts'
import { type Parsed, readFlags } from '../shared/flags.ts'
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
  -q, --quiet          report only warnings and errors
  -h, --help           show this help

Exit status: 0 when every document was handled, 1 when one was refused (nothing is written), 2 on
bad flags.`

interface InjectFlags {
  filename: string
  config?: string
  namespace?: string
  image?: string
  quiet?: boolean
}

/** Reads manifests, injects, and writes them; messages go to standard error. */
export async function inject(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), INJECT_USAGE, io, (flags) => run(flags, io))
}

async function run(flags: InjectFlags, io: Io): Promise<number> {
  const source = flags.config
    ? { name: flags.config, text: await readFile(flags.config, 'utf8') }
    : undefined
  const loaded = loadCatalog(source, selfImage(flags.image, io.version))
  if (!loaded.ok) {
    io.err(loaded.errors.map((e) => `error: ${e}`).join('\n'))
    return 1
  }
  const text = flags.filename === '-' ? await io.stdin() : await readFile(flags.filename, 'utf8')
  const result = injectDocuments(text, {
    catalog: loaded.catalog,
    namespace: flags.namespace ?? 'default',
  })
  for (const m of result.messages)
    if (!flags.quiet || m.level !== 'info') io.err(`${m.level}: ${m.where}: ${m.text}`)
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
} as const

function parseFlags(args: readonly string[]): Parsed<InjectFlags> {
  return readFlags(args, OPTIONS, (values): Parsed<InjectFlags> => {
    const { filename, config, namespace, image, quiet } = values as Partial<
      Record<string, string>
    > & { quiet?: boolean }
    if (!filename) return { ok: false, errors: ['-f FILE is required (- for standard input)'] }
    const given = Object.entries({ config, namespace, image }).filter(([, v]) => v !== undefined)
    return { ok: true, value: { filename, quiet: quiet === true, ...Object.fromEntries(given) } }
  })
}
