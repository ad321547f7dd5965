// The --output flag of the commands that answer tools as well as people (explain, status, check):
// text by default, or JSON; one rule and one message for all of them.

export const OUTPUTS = ['text', 'json'] as const
export type Output = (typeof OUTPUTS)[number]

/** The format the flag's value names (text when not given), or the error. */
export function parseOutput(
  raw: string | boolean | string[] | undefined,
): { output: Output } | { error: string } {
  if (raw === undefined) return { output: 'text' }
  const output = OUTPUTS.find((o) => o === raw)
  return output ? { output } : { error: `--output: "${String(raw)}" is not text or json` }
}
