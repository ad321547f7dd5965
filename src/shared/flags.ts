// Command-line flags read the same way by every command: strictly (an unknown flag or a
// positional argument is an error), with `-h`/`--help`, and every problem reported at once.
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'

/** A parsed configuration, every problem found, or a request for help. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] } | { ok: 'help' }

export type FlagValues = Record<string, string | boolean | string[] | undefined>

/**
 * Reads `args` against `options`; a parse error or --help ends here, anything else is validated.
 * A command that takes arguments besides flags (`explain deploy/web`) names how many.
 */
export function readFlags<T>(
  args: readonly string[],
  options: ParseArgsOptionsConfig,
  validate: (values: FlagValues, positionals: readonly string[]) => Parsed<T>,
  maxPositionals = 0,
): Parsed<T> {
  let parsed: { values: FlagValues; positionals: string[] }
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: maxPositionals > 0,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
    })
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] }
  }
  const { values, positionals } = parsed
  if (values.help) return { ok: 'help' }
  const extra = positionals[maxPositionals]
  if (extra !== undefined)
    return { ok: false, errors: [`unexpected argument ${JSON.stringify(extra)}`] }
  return validate(values, positionals)
}
