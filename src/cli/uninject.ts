// `sidecar-patterns uninject -f PATH...`: removes what `inject` (or the webhook) added.
import { uninjectSources } from '../offline/uninject-documents.ts'
import { LOG_LEVEL_HELP } from '../shared/log-levels.ts'
import type { Io } from './io.ts'
import { parseEditFlags, runEdit } from './manifests.ts'
import { withFlags } from './usage.ts'

export const UNINJECT_USAGE = `Usage: sidecar-patterns uninject -f PATH... [options]

Removes the sidecars that injection added to the Pod templates of multi-document YAML, and the
patterns/injected and patterns/revision records of them: the exact inverse of inject, so inject
then uninject gives the original bytes back. Only a sidecar the Pod holds as the catalog renders
it counts as injected (the same proof the webhook uses); a container the user wrote is never
removed, and a sidecar patterns/injected claims but the Pod does not hold is reported and left in
place. Give the catalog (--config, --image) that the manifests were injected with. A Service in
the inputs that would reach no port once a proxy is removed is named, or, with
--retarget-services, pointed back at the app port.

Output, inputs and exit status as for inject.

Options:
  -f, --filename PATH    a file, a directory (its .yaml and .yml files, recursively, in name
                         order), or - for standard input; repeat for several
  -i, --in-place         write each changed file back instead of to standard output
  --retarget-services    point Services in the inputs whose targetPort reaches a removed proxy
                         (its port number or its own port name) back at the app port it fronted
  --config FILE          catalog file, as for serve (default: the built-in catalog)
  --namespace NAME       namespace of objects that name none (default: default)
  --image REF            this project's image, run by the metrics sidecar
  --log-level LEVEL      which messages to report, by the least severe:
                         ${LOG_LEVEL_HELP}
  -q, --quiet            report only warnings and errors (--log-level warn)
  -h, --help             show this help`

/** Reads manifests, removes what was injected, and writes them; messages go to standard error. */
export async function uninject(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseEditFlags(args), UNINJECT_USAGE, io, (flags) =>
    runEdit(flags, io, uninjectSources),
  )
}
