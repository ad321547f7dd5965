// Pods made from one template (a ReplicaSet's, a Job's, a DaemonSet's) reach the webhook before
// the API server names them (generateName) or gives them a uid, so the reviews of a scale-up are
// the same text but for the review's uid (and managedFields' timestamp, which moves once a
// second). An answer is a pure function of that text, the catalog and the namespace's labels and
// annotations, so the first review's answer serves the ones after it: for one SHA-256 of the text
// instead of parsing it (most of a large review's cost), deciding, injecting, diffing and encoding.
//
// Why a kept answer is right for a new text: the uid is found lexically, as the value of the first
// `"uid":"` that is a plain string (no escapes), and the rest of the text is digested. An answer is
// kept only after the text was decoded with a random marker in that place and the decoded
// review's uid was the marker: then that place is the review's uid and nothing else, and any text
// with the same digest is the same review with another plain uid. A changed catalog or namespace
// is a different object (both are replaced, never edited), and a kept answer is then recomputed.
import { hash, randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { type AdmissionContext, namespaceToRead } from './admit.ts'
import type { NamespaceLookup } from './namespaces.ts'
import { parseReview } from './review.ts'
import type { AdmissionRequest } from './types.ts'

export interface CacheLimits {
  /** Answers kept at most. */
  entries: number
  /** Their sizes added up, as the cache's `size` counts them, at most. */
  size: number
}

// A thousand Pod templates in flight at once is a big cluster's rollout; answers are a few KiB.
export const CACHE_LIMITS: CacheLimits = Object.freeze({ entries: 1024, size: 16 * 1024 * 1024 })

/** hit: an earlier identical review's answer; miss: computed and kept; bypass: not cacheable. */
export type CacheResult = 'hit' | 'miss' | 'bypass'

/** What answering needs from outside: the body decoder, the catalog and the namespaces. */
export interface AnswerSources {
  /** Decodes JSON text; throws the transport's own error for text that is not JSON. */
  decode(text: string): unknown
  catalog(): AdmissionContext['catalog']
  namespaces: NamespaceLookup
}

/** How to answer a decoded review, and how much memory an answer holds. */
export interface Answering<T> {
  compute(request: AdmissionRequest, context: AdmissionContext): T
  size(value: T): number
}

export type Answered<T> =
  | {
      ok: true
      uid: string
      /** The namespace the review was answered for, if it needed one (see namespaceToRead). */
      namespace: string | undefined
      value: T
      cache: CacheResult
    }
  | { ok: false; error: string }

export interface ReviewCache<T> {
  /** Answers a review's body text, from an identical earlier review when that still holds. */
  answer(text: string, sources: AnswerSources): Promise<Answered<T>>
}

interface Entry<T> {
  value: T
  /** The namespace the review needed (see namespaceToRead), and the context of the answer. */
  namespace: string | undefined
  context: AdmissionContext
}

/** Where a text's uid stands: the value of its first `"uid":"`, from `at` to `end`. */
export interface UidPlace {
  uid: string
  at: number
  end: number
}

/** A bounded, least-recently-used cache of answers to reviews. */
export function createReviewCache<T>(
  answering: Answering<T>,
  limits: CacheLimits = CACHE_LIMITS,
): ReviewCache<T> {
  const entries = new LRUCache<string, Entry<T>>({
    max: limits.entries,
    maxSize: limits.size,
    // The digest and the entry's own fields besides the answer.
    sizeCalculation: (entry) => 256 + answering.size(entry.value),
  })
  // Unknowable outside this process, so that no text can carry it on purpose.
  const marker = randomUUID()

  const contextOf = async (namespace: string | undefined, sources: AnswerSources) => ({
    catalog: sources.catalog(),
    namespace: namespace === undefined ? undefined : await sources.namespaces.get(namespace),
  })
  // `known` is the context already looked up for this review, when there is one.
  const compute = async (
    request: AdmissionRequest,
    sources: AnswerSources,
    known?: AdmissionContext,
  ): Promise<Entry<T>> => {
    const namespace = namespaceToRead(request)
    const context = known ?? (await contextOf(namespace, sources))
    return { value: answering.compute(request, context), namespace, context }
  }
  // Not cacheable: decoded as sent, so that errors speak of the text the client sent.
  const uncached = async (text: string, sources: AnswerSources): Promise<Answered<T>> => {
    const parsed = parseReview(sources.decode(text))
    if (!parsed.ok) return parsed
    const { value, namespace } = await compute(parsed.request, sources)
    return { ok: true, uid: parsed.request.uid, namespace, value, cache: 'bypass' }
  }

  return {
    async answer(text, sources) {
      const place = locateUid(text)
      if (!place) return uncached(text, sources)
      const { uid } = place
      const key = digest(text, place)
      const kept = entries.get(key)
      // A kept answer whose catalog or namespace has changed since: recomputed with the new ones.
      const current = kept && (await contextOf(kept.namespace, sources))
      if (kept && current && sameContext(kept.context, current))
        return { ok: true, uid, namespace: kept.namespace, value: kept.value, cache: 'hit' }
      const marked = `${text.slice(0, place.at)}${marker}${text.slice(place.end)}`
      const parsed = parseReview(decodeOrUndefined(sources.decode, marked))
      if (!parsed.ok || parsed.request.uid !== marker) return uncached(text, sources)
      const entry = await compute(parsed.request, sources, current)
      entries.set(key, entry)
      return { ok: true, uid, namespace: entry.namespace, value: entry.value, cache: 'miss' }
    },
  }
}

// A uid as the API server makes them (a UUID), or any other without escapes or quotes.
const PLAIN_UID = /^[\w.:-]{1,128}$/
const UID_KEY = '"uid":"'

/** The first `"uid":"` value of `text` if it is plain, wherever it stands in the document. */
export function locateUid(text: string): UidPlace | undefined {
  const key = text.indexOf(UID_KEY)
  if (key < 0) return undefined
  const at = key + UID_KEY.length
  const end = text.indexOf('"', at)
  const uid = text.slice(at, end)
  return end > at && PLAIN_UID.test(uid) ? { uid, at, end } : undefined
}

// The place is digested with the text around it, so that no other split of the same characters
// collides.
function digest(text: string, { at, end }: UidPlace): string {
  return hash('sha256', `${at}\n${text.slice(0, at)}${text.slice(end)}`, 'base64')
}

/** The decoded text, or undefined where it is not JSON. */
export function decodeOrUndefined(decode: AnswerSources['decode'], text: string): unknown {
  try {
    return decode(text)
  } catch {
    return undefined
  }
}

function sameContext(a: AdmissionContext, b: AdmissionContext): boolean {
  return a.catalog === b.catalog && a.namespace === b.namespace
}
