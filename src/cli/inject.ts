// `sidecar-patterns inject -f PATH...`: the webhook's injection, offline, on YAML manifests.
import { injectSources } from '../offline/inject-documents.ts'
import { LOG_LEVEL_HELP } from '../shared/log-levels.ts'
import type { Io } from './io.ts'
import { parseEditFlags, runEdit } from './manifests.ts'
import { withFlags } from './usage.ts'

export const INJECT_USAGE = `Usage: sidecar-patterns inject -f PATH... [options]

Adds sidecars to every Pod template in multi-document YAML (Pod, Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job, CronJob, List) exactly as the webhook would. Only what injection adds
changes: everything else keeps its bytes (comments, quoting, indentation, line breaks), and a file
with nothing to inject comes back as it was. Namespace objects in the inputs stand for the
cluster's namespaces (labels for policies, patterns/sidecar defaults).

The result goes to standard output, the files one after the other with --- between them, unless
--in-place writes each changed file back. A Pod that cannot be injected is reported on standard
error and left as it is; the others are injected all the same.

Options:
  -f, --filename PATH    a file, a directory (its .yaml and .yml files, recursively, in name
                         order), or - for standard input; repeat for several
  -i, --in-place         write each changed file back instead of to standard output
  --retarget-services    re-point Services in the inputs whose targetPort is the app port an
                         injected proxy now fronts (by number, or by a name for it) to the proxy
  --config FILE          catalog file, as for serve (default: the built-in catalog)
  --namespace NAME       namespace of objects that name none (default: default)
  --image REF            this project's image, run by the metrics sidecar
  --log-level LEVEL      which messages to report, by the least severe:
                         ${LOG_LEVEL_HELP}
  -q, --quiet            report only warnings and errors (--log-level warn)
  -h, --help             show this help

Exit status: 0 when every Pod template was handled, 1 when one was refused or a file could not be
read as YAML (the rest is written all the same), 2 on bad flags.`

/** Reads manifests, injects, and writes them; messages go to standard error. */
export async function inject(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseEditFlags(args), INJECT_USAGE, io, (flags) =>
    runEdit(flags, io, (sources, catalog, options) =>
      injectSources(sources, { catalog, ...options }),
    ),
  )
}
