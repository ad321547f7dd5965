// A review's body text into the request it carries: JSON decoded as Fastify decodes it (refusing
// prototype poisoning), then the envelope checked (src/admission/review.ts); the Pod inside is
// left as sent.
import secureJson from 'secure-json-parse'
import { parseReview } from './review.ts'
import type { AdmissionRequest } from './types.ts'

/** Why a body is not a review: no JSON at all, bad JSON, or JSON that is not an AdmissionReview. */
export type NotAReview = 'empty' | 'not-json' | 'not-a-review'

export type Decoded =
  | { ok: true; request: AdmissionRequest }
  | { ok: false; reason: NotAReview; message: string }

// Fastify's default: a `__proto__` key, or a `constructor` with a `prototype`, is an error, not
// silently removed, so that such a body is refused whole.
const POISONING = { protoAction: 'error', constructorAction: 'error' } as const

/** Decodes and checks one AdmissionReview body. */
export function decodeReview(text: string): Decoded {
  if (text.length === 0) return { ok: false, reason: 'empty', message: 'the body is empty' }
  let body: unknown
  try {
    body = secureJson.parse(text, POISONING)
  } catch (error) {
    return { ok: false, reason: 'not-json', message: (error as Error).message }
  }
  const parsed = parseReview(body)
  return parsed.ok ? parsed : { ok: false, reason: 'not-a-review', message: parsed.error }
}
