// How a value someone else wrote appears in a message of either program.

/** Quotes a value for a message, cut short so that a huge one cannot flood the message. */
export function quote(raw: string): string {
  return JSON.stringify(raw.length > 64 ? `${raw.slice(0, 61)}...` : raw)
}

// A string literal as quote() writes it (JSON.stringify): the only way values enter messages.
const QUOTED = /"(?:[^"\\]|\\.)*"/g

/** The message with every quoted value blanked out, for logs, which carry no annotation values. */
export function withoutValues(message: string): string {
  return message.replace(QUOTED, '"…"')
}
