// The levels --log-level takes, the same for every command: pino's own, most severe first, and
// `silent`. The servers hand the level to pino; inject filters its messages by it.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The --log-level flag as every command declares it; parseLogLevel supplies the default. */
export const LOG_LEVEL_OPTION = { 'log-level': { type: 'string' } } as const

/** How the flag's values are described in usage texts. */
export const LOG_LEVEL_HELP = `${LOG_LEVELS.join(', ')} (default info)`

/** The level the flag's value names (info when not given), or the error. */
export function parseLogLevel(
  raw: string | boolean | string[] | undefined,
): { level: LogLevel } | { error: string } {
  if (raw === undefined) return { level: 'info' }
  const level = LOG_LEVELS.find((l) => l === raw)
  return level ? { level } : { error: `"${raw}" is not one of ${LOG_LEVELS.join(', ')}` }
}

/** Whether a message at `level` is shown when the threshold is `threshold`. */
export function isShown(level: Exclude<LogLevel, 'silent'>, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(threshold) && threshold !== 'silent'
}
