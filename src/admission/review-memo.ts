// Answers kept for reviews that come again. Pods made from one template (a ReplicaSet's, a Job's,
// a DaemonSet's) reach the webhook before the API server names them (generateName) or gives them
// a uid, so the reviews of a scale-up are the same text but for the review's uid (and
// managedFields' timestamp, which moves once a second). An answer depends on exactly three
// things, and its key says so:
//   the text but for its uid      SHA-256 of it (the uid is spliced into the kept answer);
//   the catalog                   its revision (src/catalog/load.ts: a digest of its sources);
//   the namespace                 its resourceVersion, which the API server changes with every
//                                 change to the object; answers are not kept for a namespace
//                                 that has none (read from a file, made by a test).
// A kept answer is served only while the catalog's revision and the namespace's resourceVersion
// are the ones it was computed under; otherwise it is computed anew.
//
// Why the text's digest identifies the review: the uid is found lexically, as the value of the
// first `"uid":"` that is a plain string (no escapes), and the rest of the text is digested. An
// answer is kept only after the text was decoded with a random marker in that place and the
// decoded review's uid was the marker: then that place is the review's uid and nothing else, and
// any text with the same digest is the same review with another plain uid.
//
// Most reviews are of Pods unlike any other (every Pod of a Deployment that is not scaled up),
// and keeping each answer would cost every such review the memory it holds until evicted: the
// memo keeps an answer from the second review of a text on, and remembers only the digest of the
// first.
import { hash, randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { AdmissionContext } from './admit.ts'
import { type Decoded, decodeReview } from './decode.ts'

export interface MemoLimits {
  /** Answers kept at most; as many digests of texts seen once are remembered besides. */
  entries: number
  /** Their sizes added up, as the memo's `size` counts them, at most. */
  size: number
}

// A thousand Pod templates in flight at once is a big cluster's rollout; answers are a few KiB.
export const MEMO_LIMITS: MemoLimits = Object.freeze({ entries: 1024, size: 16 * 1024 * 1024 })

/** hit: an earlier review's answer; miss: computed (and kept); bypass: not to be kept. */
export type MemoResult = 'hit' | 'miss' | 'bypass'

/** Where a text's uid stands: the value of its first `"uid":"`, from `at` to `end`. */
export interface UidPlace {
  uid: string
  at: number
  end: number
}

/** What the memo knows of a review's text before decoding it. */
export interface MemoKey {
  /** The review's uid, for the answer. */
  uid: string
  /** SHA-256 of the text but its uid. */
  digest: string
  /** The text with the memo's marker in the uid's place. */
  marked: string
}

/** What an answer was computed under; see the top of this file. */
interface Dependencies {
  catalog: string
  /** The namespace's resourceVersion, or null where the review needed no namespace or it had none. */
  namespace: string | null
}

interface Entry<T> {
  value: T
  /** The namespace the review needed (see namespaceToRead in admit.ts). */
  namespace: string | undefined
  dependencies: Dependencies
}

/** Decoded for the memo: `keep` is the key to keep the answer under, if it may be kept. */
export type MemoDecoded = Decoded & { keep?: MemoKey }

export interface ReviewMemo<T> {
  /** The text's key, or undefined when it has no plain uid to splice answers with. */
  keyOf(text: string): MemoKey | undefined
  /** The answer kept for `key`, if `current` (the context now) is the one it was computed under. */
  recall(
    key: MemoKey,
    current: (namespace: string | undefined) => Promise<AdmissionContext>,
  ): Promise<T | undefined>
  /** Decodes the text; through the key's marked text, so that the memo learns if it may keep it. */
  decode(text: string, key: MemoKey | undefined): MemoDecoded
  /** Keeps the answer computed for the review under `key`, in `context`. */
  keep(key: MemoKey, namespace: string | undefined, context: AdmissionContext, value: T): MemoResult
}

/** A bounded, least-recently-used memo of answers; `size` says how much memory an answer holds. */
export function createReviewMemo<T>(
  size: (value: T) => number,
  limits: MemoLimits = MEMO_LIMITS,
): ReviewMemo<T> {
  const entries = new LRUCache<string, Entry<T>>({
    max: limits.entries,
    maxSize: limits.size,
    // The digest and the entry's own fields besides the answer.
    sizeCalculation: (entry) => 256 + size(entry.value),
  })
  const seenOnce = new LRUCache<string, true>({ max: limits.entries })
  // Unknowable outside this process, so that no text can carry it on purpose.
  const marker = randomUUID()

  return {
    keyOf(text) {
      const place = locateUid(text)
      if (!place) return undefined
      const before = text.slice(0, place.at)
      const after = text.slice(place.end)
      return {
        uid: place.uid,
        digest: digest(place, before, after),
        marked: before + marker + after,
      }
    },
    async recall(key, current) {
      const kept = entries.get(key.digest)
      if (!kept) return undefined
      const now = dependenciesOf(await current(kept.namespace))
      return now && sameDependencies(kept.dependencies, now) ? kept.value : undefined
    },
    decode(text, key) {
      const marked = key && decodeReview(key.marked)
      // Errors speak of the text as sent, and a marker found elsewhere proves nothing.
      if (!key || !marked?.ok || marked.request.uid !== marker) return decodeReview(text)
      return { ...marked, request: { ...marked.request, uid: key.uid }, keep: key }
    },
    keep(key, namespace, context, value) {
      const dependencies = dependenciesOf(context)
      if (!dependencies) return 'bypass'
      if (!entries.has(key.digest) && !seenOnce.has(key.digest)) {
        seenOnce.set(key.digest, true)
        return 'miss'
      }
      seenOnce.delete(key.digest)
      entries.set(key.digest, { value, namespace, dependencies })
      return 'miss'
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
function digest({ at }: UidPlace, before: string, after: string): string {
  return hash('sha256', `${at}\n${before}${after}`, 'base64')
}

function dependenciesOf({ catalog, namespace }: AdmissionContext): Dependencies | undefined {
  if (namespace === undefined) return { catalog: catalog.revision, namespace: null }
  const { resourceVersion } = namespace
  return resourceVersion === undefined
    ? undefined
    : { catalog: catalog.revision, namespace: resourceVersion }
}

function sameDependencies(a: Dependencies, b: Dependencies): boolean {
  return a.catalog === b.catalog && a.namespace === b.namespace
}
