// `sidecar-patterns version`: this client's version and, given a cluster, its API server's.
import { type Parsed, readFlags } from '../shared/flags.ts'
import {
  parseRequestTimeout,
  REQUEST_TIMEOUT_OPTION,
  REQUEST_TIMEOUT_USAGE,
} from '../shared/request-timeout.ts'
import type { Io } from './io.ts'
import { withFlags } from './usage.ts'

export const VERSION_USAGE = `Usage: sidecar-patterns version [--kubeconfig FILE] [--request-timeout DURATION]

Prints this client's version and, given a kubeconfig, the version of the cluster's API server
(GET /version), as kubectl version does. \`sidecar-patterns --version\` prints the client's alone.

Options:
  --kubeconfig FILE    the cluster to ask (default $KUBECONFIG; with neither, the client only)
${REQUEST_TIMEOUT_USAGE}
  -h, --help           show this help

Exit status: 0 when every version asked for was printed, 1 when the server's could not be read,
2 on bad flags.`

interface VersionFlags {
  kubeconfig?: string
  timeoutMs: number
}

/** Prints the versions; exits 1 (after the client's) when the server cannot be asked. */
export async function version(args: readonly string[], io: Io): Promise<number> {
  return withFlags(parseFlags(args), VERSION_USAGE, io, async (flags) => {
    io.out(`Client Version: ${io.version}`)
    // The environment is read here, at the edge, as kubectl reads it.
    const kubeconfig = flags.kubeconfig ?? process.env.KUBECONFIG
    if (!kubeconfig) return 0
    // Only now the Kubernetes client: `version` without a cluster stays quick.
    const { loadKubeConfig, serverAddress } = await import('../kube/config.ts')
    const { serverVersion } = await import('../kube/server-version.ts')
    const { describeApiError } = await import('../kube/api-error.ts')
    const kubeConfig = loadKubeConfig(
      flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig },
    )
    try {
      io.out(`Server Version: ${(await serverVersion(kubeConfig, flags.timeoutMs)).gitVersion}`)
      return 0
    } catch (error) {
      const server = serverAddress(kubeConfig)
      io.err(`error: the API server at ${server} does not answer: ${describeApiError(error)}`)
      return 1
    }
  })
}

const OPTIONS = { kubeconfig: { type: 'string' }, ...REQUEST_TIMEOUT_OPTION } as const

function parseFlags(args: readonly string[]): Parsed<VersionFlags> {
  return readFlags(args, OPTIONS, (values) => {
    const kubeconfig = values.kubeconfig
    const timeout = parseRequestTimeout(values['request-timeout'])
    const errors: string[] = []
    if (kubeconfig === '') errors.push('--kubeconfig: must not be empty')
    if ('error' in timeout) errors.push(timeout.error)
    if ('error' in timeout || errors.length) return { ok: false, errors }
    return {
      ok: true,
      value: {
        ...(typeof kubeconfig === 'string' && { kubeconfig }),
        timeoutMs: timeout.timeoutMs,
      },
    }
  })
}
