// `sidecar-patterns version`: this client's version and, given a cluster, its API server's.
import { type Parsed, readFlags } from '../shared/flags.ts'
import type { Io } from './io.ts'
import { withFlags } from './usage.ts'

export const VERSION_USAGE = `Usage: sidecar-patterns version [--kubeconfig FILE]

Prints this client's version and, given a kubeconfig, the version of the cluster's API server
(GET /version), as kubectl version does. \`sidecar-patterns --version\` prints the client's alone.

Options:
  --kubeconfig FILE    the cluster to ask (default $KUBECONFIG; with neither, the client only)
  -h, --help           show this help`

interface VersionFlags {
  kubeconfig?: string
}

/** Prints the versions; exits 1 (after the client's) when the server cannot be asked. */
export async function version(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), VERSION_USAGE, io, async (flags) => {
    io.out(`Client Version: ${io.version}`)
    // The environment is read here, at the edge, as kubectl reads it.
    const kubeconfig = flags.kubeconfig ?? process.env.KUBECONFIG
    if (!kubeconfig) return 0
    // Only now the Kubernetes client: `version` without a cluster stays quick.
    const { loadKubeConfig } = await import('../kube/config.ts')
    const { serverVersion } = await import('../kube/server-version.ts')
    const kubeConfig = loadKubeConfig(flags.kubeconfig === undefined ? {} : flags)
    io.out(`Server Version: ${await serverVersion(kubeConfig)}`)
    return 0
  })
}

function parseFlags(args: readonly string[]): Parsed<VersionFlags> {
  return readFlags(args, { kubeconfig: { type: 'string' } }, (values) => {
    const { kubeconfig } = values
    if (kubeconfig === '') return { ok: false, errors: ['--kubeconfig: must not be empty'] }
    return { ok: true, value: typeof kubeconfig === 'string' ? { kubeconfig } : {} }
  })
}
