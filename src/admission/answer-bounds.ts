// The text an answer carries back to the API server, bounded whatever the Pod holds: a Pod with
// thousands of stray keys, unknown parameters or megabyte-long values gets an answer of a few
// kilobytes, in which what was cut is said.

// The API server passes a request's warnings on deduplicated and, past 4096 characters in all,
// cuts each to 256 and drops the rest (k8s.io/apiserver pkg/endpoints/filters/warning.go,
// truncateAtTotalRunes and truncateItemRunes): within these bounds, it shows every one we send.
export const MAX_WARNING_LENGTH = 256
export const MAX_WARNINGS = 16
// A refusal's status message is printed whole by kubectl and kept in events; its useful part is
// its start, which names the first problems.
export const MAX_MESSAGE_LENGTH = 4096

/** Distinct warnings, each cut to MAX_WARNING_LENGTH; past MAX_WARNINGS, the last says how many more. */
export function boundWarnings(warnings: readonly string[]): string[] {
  const distinct = [...new Set(warnings)]
  if (distinct.length <= MAX_WARNINGS) return distinct.map((w) => cut(w, MAX_WARNING_LENGTH, '...'))
  const shown = distinct.slice(0, MAX_WARNINGS - 1).map((w) => cut(w, MAX_WARNING_LENGTH, '...'))
  return [...shown, `and ${distinct.length - shown.length} more warnings`]
}

/** The message, or its start and how much was cut if it is longer than MAX_MESSAGE_LENGTH. */
export function boundMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message
  // The number of characters cut has no more digits than the message's length.
  const room = MAX_MESSAGE_LENGTH - `... (${message.length} more characters)`.length
  const kept = cut(message, room, '')
  return `${kept}... (${message.length - kept.length} more characters)`
}

// At most `length` UTF-16 code units, so at most as many characters as the API server counts,
// ending in `suffix` when cut; a surrogate pair is never split in half.
function cut(text: string, length: number, suffix: string): string {
  if (text.length <= length) return text
  let end = length - suffix.length
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return text.slice(0, end) + suffix
}
