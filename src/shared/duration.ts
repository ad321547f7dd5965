// One duration format for every flag, setting and annotation: whole numbers of h, m, s and ms,
// largest unit first, each at most once (30s, 5m, 1h30m, 500ms). It is the part of Go's
// time.ParseDuration that needs no fractions, so git-sync reads a period as we do.

const DURATION = /^(?:(\d{1,4})h)?(?:(\d{1,7})m(?!s))?(?:(\d{1,7})s)?(?:(\d{1,7})ms)?$/

/** How such durations are described in usage texts and errors. */
export const DURATION_EXAMPLES = '30s, 5m or 1h30m'

/** The duration `raw` in milliseconds, or undefined if it is not one. */
export function parseDuration(raw: string): number | undefined {
  const match = raw === '' ? null : DURATION.exec(raw)
  if (!match) return undefined
  const [, h = '0', m = '0', s = '0', ms = '0'] = match
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms)
}

/** The error for a value that is no duration, or lies outside [min, max] milliseconds. */
export function durationError(raw: string, min: number, max = Number.POSITIVE_INFINITY) {
  const ms = parseDuration(raw)
  if (ms === undefined) return `"${raw}" is not a duration such as ${DURATION_EXAMPLES}`
  if (ms < min)
    return `"${raw}" is ${min === 1 ? 'not longer than 0s' : `shorter than ${formatDuration(min)}`}`
  if (ms > max) return `"${raw}" is longer than ${formatDuration(max)}`
  return undefined
}

/** Milliseconds written in the same format, for messages: 90000 -> 1m30s. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  const parts: [number, string][] = [
    [Math.floor(ms / 3_600_000), 'h'],
    [Math.floor(ms / 60_000) % 60, 'm'],
    [Math.floor(ms / 1000) % 60, 's'],
    [ms % 1000, 'ms'],
  ]
  return parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join('')
}
