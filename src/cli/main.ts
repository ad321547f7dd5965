// The `sidecar-patterns` command: one binary, several subcommands.
import { readFileSync } from 'node:fs'
import type { Io } from './io.ts'
import { print, usageError } from './usage.ts'

const USAGE = `Usage: sidecar-patterns <command> [options]

Commands:
  serve      run the mutating admission webhook over HTTPS
  inject     add sidecars to the Pod templates of YAML manifests, offline, as the webhook would
  uninject   remove from YAML manifests the sidecars that inject or the webhook added
  explain    say why a Pod, a Pod template or a workload gets each sidecar, or does not
  status     list running Pods with outdated or missing sidecars, per namespace and owner
  meter      run the metering reverse proxy (the metrics sidecar)
  check      check an installation through the Kubernetes API (preflight and health)
  version    print the version of this client and, given a kubeconfig, of the API server
  help       show this help, or with a command's name, that command's

Run 'sidecar-patterns help <command>' or 'sidecar-patterns <command> --help' for a command's
options, and 'sidecar-patterns --version' for the version alone.`

// How long a failed command may take to close what it opened before the process is ended.
const EXIT_DEADLINE_MS = 5_000

type Command = (args: readonly string[], io: Io) => Promise<number | undefined>

// Each command loads only its own modules: the meter, a sidecar in every Pod, starts without
// loading the Kubernetes client, and inject without the server.
const commands: Record<string, Command> = {
  serve: async (args, io) => (await import('./serve.ts')).serve(args, io),
  inject: async (args, io) => (await import('./inject.ts')).inject(args, io),
  uninject: async (args, io) => (await import('./uninject.ts')).uninject(args, io),
  explain: async (args, io) => (await import('./explain.ts')).explainCommand(args, io),
  status: async (args, io) => (await import('./status.ts')).status(args, io),
  meter: async (args, io) => (await import('./meter.ts')).meter(args, io),
  check: async (args, io) => (await import('./check.ts')).check(args, io),
  version: async (args, io) => (await import('./version.ts')).version(args, io),
  help: async (args, io) => help(args, io),
}

// What every command answers to without declaring it: `help NAME` is `NAME --help`.
function help([name, ...rest]: readonly string[], io: Io): Promise<number | undefined> | number {
  if (name === undefined || name === 'help') return print(io, USAGE)
  if (rest.length) return usageError(io, [`help takes one command, not ${rest.length + 1}`], USAGE)
  const command = commands[name]
  if (!command) return usageError(io, [`unknown command "${name}"`], USAGE)
  return command(['--help'], io)
}

/** Runs one command line; resolves with an exit code, or undefined while a server runs. */
export async function main(argv: readonly string[], io: Io): Promise<number | undefined> {
  const [name = 'help', ...args] = argv
  if (name === '--version' && !args.length) return print(io, io.version)
  const command = commands[name === '--help' || name === '-h' ? 'help' : name]
  if (command) return command(args, io)
  return usageError(io, [`unknown command "${name}"`], USAGE)
}

/**
 * Runs one command line as the process does: what a command throws is reported on standard error
 * as `error: MESSAGE`, with exit code 1; `failed` says it threw.
 */
export async function mainReporting(
  argv: readonly string[],
  io: Io,
): Promise<{ code: number | undefined; failed: boolean }> {
  try {
    return { code: await main(argv, io), failed: false }
  } catch (error) {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`)
    return { code: 1, failed: true }
  }
}

// Read at start rather than imported: the compiled package (dist/cli/) finds package.json two
// folders up just as the sources (src/cli/) do, and JSON modules need no import attributes.
const PACKAGE = new URL('../../package.json', import.meta.url)

/** The process edge: real stdout and stderr, and the exit code. */
export function run(argv: readonly string[]): void {
  const pkg = JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string }
  const io: Io = {
    out: (text) => process.stdout.write(`${text}\n`),
    write: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(`${text}\n`),
    version: pkg.version,
    stdin: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    },
  }
  void mainReporting(argv, io).then(({ code, failed }) => {
    if (code !== undefined) process.exitCode = code
    // A command that failed closes what it opened, and the process ends when nothing is left.
    // Should something stay open all the same (a leaked watch or timer), the process must still
    // end rather than stay up doing nothing: unref, so it never delays a clean exit.
    if (failed)
      setTimeout(() => {
        io.err(`error: still running ${EXIT_DEADLINE_MS / 1000} s after failing; exiting`)
        process.exit(1)
      }, EXIT_DEADLINE_MS).unref()
  })
}
