// A review's body text into the request it carries: JSON decoded as Fastify decodes it (refusing
// prototype poisoning), then the envelope checked (src/admission/review.ts); the Pod inside is
// left as sent.
import secureJson from 'secure-json-parse'
import { parseReview } from './review.ts'
import type { AdmissionRequest } from './types.ts'

/**
 * Why a body is not a review: no JSON at all, bad JSON, JSON nested too deep to be a Pod, or JSON
 * that is not an AdmissionReview.
 */
export type NotAReview = 'empty' | 'not-json' | 'too-deep' | 'not-a-review'

export type Decoded =
  | { ok: true; request: AdmissionRequest }
  | { ok: false; reason: NotAReview; message: string }

// Fastify's default: a `__proto__` key, or a `constructor` with a `prototype`, is an error, not
// silently removed, so that such a body is refused whole.
const POISONING = { protoAction: 'error', constructorAction: 'error' } as const

// A Pod reaches a webhook re-encoded from its typed form, unknown fields dropped, so it nests as
// deep as its schema does: about 15 levels, managedFields included, and the review 3 more. A
// document nested far deeper is made to be expensive: JSON.parse took 0.6 s for 3.4 million
// levels in 7 MB, against 5 ms for an ordinary Pod of that size. Below DEPTH_CHECKED_FROM
// characters the parse costs at most a few tens of milliseconds however it nests, and the check,
// a scan of every character (~1.5 ms per MiB), would cost ordinary reviews more than it saves.
export const MAX_DEPTH = 100
export const DEPTH_CHECKED_FROM = 256 * 1024

/** Decodes and checks one AdmissionReview body. */
export function decodeReview(text: string): Decoded {
  if (text.length === 0) return { ok: false, reason: 'empty', message: 'the body is empty' }
  if (text.length >= DEPTH_CHECKED_FROM && nestsDeeper(text, MAX_DEPTH)) {
    const message = `the body nests deeper than ${MAX_DEPTH} levels, which no Pod does`
    return { ok: false, reason: 'too-deep', message }
  }
  let body: unknown
  try {
    body = secureJson.parse(text, POISONING)
  } catch (error) {
    return { ok: false, reason: 'not-json', message: (error as Error).message }
  }
  const parsed = parseReview(body)
  return parsed.ok ? parsed : { ok: false, reason: 'not-a-review', message: parsed.error }
}

// Whether arrays and objects nest more than `max` deep, brackets in strings aside. Strings are
// skipped with indexOf, which is native: most of a review's characters are in strings.
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) i = closingQuote(text, i)
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

// The index of the quote that closes the string opened at `open`, or the end of the text.
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1)
  while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1)
  return end < 0 ? text.length : end
}

// A quote is escaped by an odd number of backslashes before it.
function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0
  for (let k = quote - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++
  return backslashes % 2 === 1
}
