// Command-line flags read the same way by every command: strictly (an unknown flag or a
// positional argument is an error), with `-h`/`--help`, a flag given twice refused unless it is a
// list by design (`multiple: true`, such as the meter's --route), and every problem reported at
// once. Values are checked by the shared rules: durations (duration.ts), log levels
// (log-levels.ts), and files read through readFlagFile (flag-file.ts).
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
  let parsed: { values: FlagValues; positionals: string[]; tokens: readonly Token[] }
  try {
    const result = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: maxPositionals > 0,
      tokens: true,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
    })
    parsed = { values: result.values, positionals: result.positionals, tokens: result.tokens }
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] }
  }
  const { values, positionals, tokens } = parsed
  if (values.help) return { ok: 'help' }
  const extra = positionals[maxPositionals]
  if (extra !== undefined)
    return { ok: false, errors: [`unexpected argument ${JSON.stringify(extra)}`] }
  const repeated = repeatedFlags(tokens, options)
  if (repeated.length) return { ok: false, errors: repeated }
  return validate(values, positionals)
}

// parseArgs keeps the last of a repeated flag silently: `--config a --config b` would read b and
// say nothing about a. One error per flag given more than once, unless it takes a list.
type Token = { kind: string; name?: string }

function repeatedFlags(tokens: readonly Token[], options: ParseArgsOptionsConfig): string[] {
  const seen = new Map<string, number>()
  for (const token of tokens)
    if (token.kind === 'option' && token.name !== undefined && token.name !== 'help')
      seen.set(token.name, (seen.get(token.name) ?? 0) + 1)
  return [...seen]
    .filter(([name, count]) => count > 1 && options[name]?.multiple !== true)
    .map(([name, count]) => `--${name}: given ${count} times; it takes one value`)
}
