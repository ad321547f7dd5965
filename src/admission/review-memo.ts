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
// and keeping each answer would cost every such review the memory it holds until evicted, and
// digesting and proving each text the time it takes (a tenth of a 90 KB review's): the memo keeps
// an answer from the second review of a text on. The first leaves only a glance at the text, a
// digest of its start (the first GLANCE characters after the uid) and of its length; only a text
// whose glance was seen before is digested whole and proved, and its answer kept. A glance that
// two texts share costs the second one a digest, never a wrong answer: answers are kept and found
// by the whole text's digest.
import { hash, randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { AdmissionContext } from './admit.ts'
import { type Decoded, decodeReview } from './decode.ts'

export interface MemoLimits {
  /** Answers kept at most; as many glances at texts seen once are remembered besides. */
  entries: number
  /** Their sizes added up, as the memo's `size` counts them, at most. */
  size: number
}

// A thousand Pod templates in flight at once is a big cluster's rollout; answers are a few KiB.
export const MEMO_LIMITS: MemoLimits = Object.freeze({ entries: 1024, size: 16 * 1024 * 1024 })

// Enough to hold a Pod's metadata, where Pods of different templates differ first (name prefix,
// labels, owner); the whole of a small review.
const GLANCE = 4096

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
  place: UidPlace
  /** SHA-256 of the text but its uid, up to GLANCE characters after it, and of its length. */
  glance: string
  /** SHA-256 of the text but its uid; only where the glance covers it all or was seen before. */
  digest: string | undefined
  /** Whether a text like it was seen before: then its answer is to be kept. */
  seen: boolean
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
  /**
   * The answer kept for `key`, if `current` (the context now) is the one it was computed under;
   * undefined at once when none is kept, so that most reviews wait for nothing here.
   */
  recall(
    key: MemoKey,
    current: (namespace: string | undefined) => Promise<AdmissionContext>,
  ): Promise<T | undefined> | undefined
  /** Decodes the key's text; with a marker in the uid's place where the memo must prove it. */
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
  const glanced = new LRUCache<string, true>({ max: limits.entries })
  // Unknowable outside this process, so that no text can carry it on purpose.
  const marker = randomUUID()

  const valid = async (kept: Entry<T>, current: Parameters<ReviewMemo<T>['recall']>[1]) => {
    const now = dependenciesOf(await current(kept.namespace))
    return now && sameDependencies(kept.dependencies, now) ? kept.value : undefined
  }

  return {
    keyOf(text) {
      const place = locateUid(text)
      if (!place) return undefined
      const glance = digest(text, place, GLANCE)
      // get, not has: a glance in use stays recent, so that a flood of texts seen once does not
      // push out the glances of the templates whose answers are kept.
      const glimpsed = glanced.get(glance) === true
      const whole = text.length - place.end <= GLANCE
      const full = whole ? glance : glimpsed ? digest(text, place, text.length) : undefined
      const seen = glimpsed || (full !== undefined && entries.has(full))
      return { uid: place.uid, place, glance, digest: full, seen }
    },
    recall(key, current) {
      const kept = key.digest === undefined ? undefined : entries.get(key.digest)
      return kept && valid(kept, current)
    },
    decode(text, key) {
      if (!key) return decodeReview(text)
      if (!key.seen) {
        // First sighting: nothing is kept, only the glance; a text whose uid is elsewhere never is.
        const plain = decodeReview(text)
        return plain.ok && plain.request.uid === key.uid ? { ...plain, keep: key } : plain
      }
      const { at, end } = key.place
      const marked = decodeReview(text.slice(0, at) + marker + text.slice(end))
      // Errors speak of the text as sent, and a marker found elsewhere proves nothing.
      if (!marked.ok || marked.request.uid !== marker) return decodeReview(text)
      return { ...marked, request: { ...marked.request, uid: key.uid }, keep: key }
    },
    keep(key, namespace, context, value) {
      const dependencies = dependenciesOf(context)
      if (!dependencies) return 'bypass'
      if (!key.seen || key.digest === undefined) glanced.set(key.glance, true)
      else entries.set(key.digest, { value, namespace, dependencies })
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

// The text but its uid, up to `upTo` characters after it; the place and the whole text's length
// are digested with it, so that no other split of the same characters collides, and a glance at a
// text is the digest of the whole when it covers it all.
function digest(text: string, { at, end }: UidPlace, upTo: number): string {
  const head = `${at}\n${text.length}\n${text.slice(0, at)}`
  return hash('sha256', head + text.slice(end, end + upTo), 'base64')
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
