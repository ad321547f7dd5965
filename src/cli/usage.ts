// What every subcommand does before it runs: --help prints its usage and exits 0; bad flags print
// every error, then the usage, on standard error and exit 2, as command-line tools do.
import type { Parsed } from '../shared/flags.ts'
import type { Io } from './io.ts'

/** Prints `text` on standard output; exit code 0. */
export function print(io: Io, text: string): number {
  io.out(text)
  return 0
}

/** Prints each error, then the usage, on standard error; exit code 2. */
export function usageError(io: Io, errors: readonly string[], usage: string): number {
  io.err(`${errors.map((e) => `error: ${e}`).join('\n')}\n\n${usage}`)
  return 2
}

/** Runs `command` on the parsed flags, unless they asked for help or were bad. */
export async function withFlags<T, R extends number | undefined>(
  parsed: Parsed<T>,
  usage: string,
  io: Io,
  command: (flags: T) => Promise<R>,
): Promise<R | number> {
  if (parsed.ok === 'help') return print(io, usage)
  if (!parsed.ok) return usageError(io, parsed.errors, usage)
  return command(parsed.value)
}
