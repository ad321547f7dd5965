// Command-line flags read the same way by every command: strictly (an unknown flag or a
// positional argument is an error), with `-h`/`--help`, and every problem reported at once.
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'

/** A parsed configuration, every problem found, or a request for help. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] } | { ok: 'help' }

export type FlagValues = Record<string, string | boolean | string[] | undefined>

/** Reads `args` against `options`; a parse error or --help ends here, anything else is validated. */
export function readFlags<T>(
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  validate: (values: FlagValues) => Parsed<T>,
): Parsed<T> {
  let values: FlagValues
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
    }).values
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] }
  }
  return values.help ? { ok: 'help' } : validate(values)
}
