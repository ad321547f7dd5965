// The review memo answers a review like an earlier one only when it is the same review but for
// its uid, under the same catalog revision and namespace resourceVersion; every other text is
// computed anew. Each case drives the memo as the route does (src/routes/mutate.ts).
import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { type AdmissionContext, admit, namespaceToRead } from '../../src/admission/admit.ts'
import { type EncodedReview, encodeReview } from '../../src/admission/review.ts'
import {
  createReviewMemo,
  locateUid,
  type MemoLimits,
  type MemoResult,
} from '../../src/admission/review-memo.ts'
import { loadCatalog } from '../../src/catalog/load.ts'
import type { Catalog } from '../../src/injection/catalog.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { testCatalog } from '../helpers/config.ts'
import { fixtureFiles, fixtureJson, fixtureNamespaces } from '../helpers/fixtures.ts'
import { NAMESPACES, type PodReview, podReviews } from '../helpers/pod-arbitraries.ts'
import { podReview } from '../helpers/reviews.ts'

const UID = '5b0a7f8e-1c2d-4e3f-9a8b-7c6d5e4f3a2b'
const OTHER = 'a1b2c3d4-0000-4000-8000-000000000042'
const THIRD = 'c0ffee00-0000-4000-8000-000000000003'

/** A memo of admit()'s encoded answers, counting how often one is computed. */
function counting(limits?: MemoLimits, size = (value: EncodedReview) => value.length) {
  const computed: string[] = []
  const memo = createReviewMemo<EncodedReview>(size, limits)
  return { memo, computed }
}

interface Sources {
  catalog: Catalog
  namespaces: readonly NamespaceFacts[]
}

const sources = (namespaces: NamespaceFacts[] = [], catalog = testCatalog): Sources => ({
  catalog,
  namespaces,
})

/** The review's text as the API server writes it (Go's field order: kind, apiVersion, request). */
function text(
  uid: string,
  annotations: Record<string, string> = { 'patterns/sidecar': 'metrics' },
) {
  const { request } = podReview('shop', annotations)
  return JSON.stringify({
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: { ...request, uid },
  })
}

type Answered =
  | { ok: true; uid: string; cache: MemoResult; json: { response: { uid: string; patch: string } } }
  | { ok: false; reason: string; message: string }

/** One review through the memo, in the route's order. */
async function answer(
  { memo, computed }: ReturnType<typeof counting>,
  body: string,
  from = sources(),
): Promise<Answered> {
  const contextFor = async (namespace: string | undefined): Promise<AdmissionContext> => ({
    catalog: from.catalog,
    namespace: from.namespaces.find((n) => n.name === namespace),
  })
  const key = memo.keyOf(body)
  const recalled = key && memo.recall(key, contextFor)
  const kept = recalled && (await recalled)
  const reply = (uid: string, value: EncodedReview, cache: MemoResult): Answered => ({
    ok: true,
    uid,
    cache,
    json: JSON.parse(value.withUid(uid)),
  })
  if (kept) return reply(key.uid, kept, 'hit')
  const decoded = memo.decode(body, key)
  if (!decoded.ok) return decoded
  const review = decoded.request
  const namespace = namespaceToRead(review)
  const context = await contextFor(namespace)
  computed.push(review.uid)
  const value = encodeReview(admit(review, context).response)
  return reply(
    review.uid,
    value,
    decoded.keep ? memo.keep(decoded.keep, namespace, context, value) : 'bypass',
  )
}

async function answered(memo: ReturnType<typeof counting>, body: string, from = sources()) {
  const result = await answer(memo, body, from)
  if (!result.ok) throw new Error(result.message)
  return result
}

t.test('the uid is the first plain "uid" value of the text', async (t) => {
  const body = text(UID)
  const place = locateUid(body)
  t.equal(place?.uid, UID)
  t.equal(body.slice(place?.at, place?.end), UID)
  t.equal(locateUid('{"request":{"uid":"with \\"quote\\""}}'), undefined, 'escapes are not plain')
  t.equal(locateUid('{"request":{"uid":""}}'), undefined, 'an empty uid is not a uid')
  t.equal(locateUid('{"request":{"uid":"unterminated'), undefined)
  t.equal(locateUid('{"request":{"name":"x"}}'), undefined)
})

t.test(
  'a review that differs only in its uid gets the kept answer, with its own uid',
  async (t) => {
    const memo = counting()
    const first = await answered(memo, text(UID))
    const second = await answered(memo, text(OTHER))
    const third = await answered(memo, text(THIRD))
    // The first of a kind is only remembered: most Pods are unlike any other.
    t.same([first.cache, second.cache, third.cache], ['miss', 'miss', 'hit'])
    t.same(memo.computed.length, 2, 'computed until kept')
    t.equal(third.json.response.uid, THIRD)
    t.same({ ...third.json.response, uid: UID }, first.json.response, 'the same answer otherwise')
  },
)

t.test('any other difference is another review', async (t) => {
  const memo = counting()
  const { computed } = memo
  await answered(memo, text(UID))
  const other = await answered(memo, text(OTHER, { 'patterns/sidecar': 'metrics,auth' }))
  t.equal(other.cache, 'miss')
  t.equal(computed.length, 2)
  t.match(
    Buffer.from(other.json.response.patch, 'base64').toString(),
    /patterns-auth/,
    'the second Pod gets its own sidecars',
  )
})

t.test('a new catalog revision or namespace resourceVersion recomputes the answer', async (t) => {
  const memo = counting()
  const shop = { name: 'shop', resourceVersion: '7', labels: {}, annotations: {} }
  await answered(memo, text(UID), sources([shop]))
  await answered(memo, text(THIRD), sources([shop]))
  t.equal((await answered(memo, text(OTHER), sources([shop]))).cache, 'hit')
  // The watch reports a change with a new resourceVersion.
  const changed = { ...shop, resourceVersion: '8', annotations: { 'patterns/sidecar': 'auth' } }
  const after = await answered(memo, text(OTHER), sources([changed]))
  t.equal(after.cache, 'miss')
  t.match(Buffer.from(after.json.response.patch, 'base64').toString(), /patterns-auth/)
  const reloaded = loadCatalog(undefined, 'example/sidecar-patterns:2')
  if (!reloaded.ok) throw new Error(reloaded.errors.join('\n'))
  t.not(reloaded.catalog.revision, testCatalog.revision, 'another source, another revision')
  const next = await answered(memo, text(OTHER), sources([changed], reloaded.catalog))
  t.equal(next.cache, 'miss')
  t.match(Buffer.from(next.json.response.patch, 'base64').toString(), /sidecar-patterns:2/)
  t.equal(memo.computed.length, 4)
  t.equal((await answered(memo, text(THIRD), sources([changed], reloaded.catalog))).cache, 'hit')
})

t.test('the same namespace object under another resourceVersion is another context', async (t) => {
  // What the key says is what counts: an unchanged object with a new resourceVersion (a
  // relabel and back) is recomputed, and a namespace without one is never kept.
  const memo = counting()
  const shop = { name: 'shop', resourceVersion: '1', labels: {}, annotations: {} }
  for (const uid of [UID, OTHER]) await answered(memo, text(uid), sources([shop]))
  const again = { ...shop, resourceVersion: '2' }
  t.equal((await answered(memo, text(THIRD), sources([again]))).cache, 'miss')
  const unversioned = { name: 'shop', labels: {}, annotations: {} }
  for (const uid of [UID, OTHER, THIRD])
    t.equal((await answered(memo, text(uid), sources([unversioned]))).cache, 'bypass')
})

t.test('a text whose first "uid" is not the review uid is answered, never kept', async (t) => {
  const memo = counting()
  const { computed } = memo
  const {
    uid: _,
    userInfo: __,
    ...request
  } = podReview('shop', { 'patterns/sidecar': 'metrics' }).request
  // userInfo before the review's own uid: its uid is the first one in the text.
  const body = (uid: string) =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { userInfo: { username: 'u', uid: 'user-1' }, ...request, uid },
    })
  for (const uid of [UID, OTHER]) {
    const result = await answered(memo, body(uid))
    t.same([result.cache, result.uid, result.json.response.uid], ['bypass', uid, uid])
  }
  t.equal(computed.length, 2)
})

t.test('a uid repeated by a later duplicate key cannot borrow an answer', async (t) => {
  // JSON.parse keeps the last of duplicate keys: here the review's uid is the escaped one, and
  // the first, plain "uid" is a decoy that a lexical cache would take for the uid.
  const memo = counting()
  const body = (decoy: string) =>
    text(UID).replace(`"uid":"${UID}"`, `"uid":"${decoy}","uid":"\\u0035${UID.slice(1)}"`)
  const first = await answered(memo, body('decoy-1'))
  const second = await answered(memo, body('decoy-2'))
  t.same(
    [first.cache, second.cache, first.json.response.uid, second.json.response.uid],
    ['bypass', 'bypass', UID, UID],
  )
})

t.test('texts that are not reviews get the same errors as without a memo', async (t) => {
  const memo = counting()
  t.match(await answer(memo, '{"request":{"uid":"abc"', sources()), {
    ok: false,
    reason: 'not-json',
  })
  t.match(await answer(memo, '', sources()), { ok: false, reason: 'empty' })
  t.match(await answer(memo, '{"request":{"uid":"abc"}}', sources()), {
    ok: false,
    reason: 'not-a-review',
    message: /not an admission.k8s.io\/v1 AdmissionReview/,
  })
  t.match(await answer(memo, '[1]', sources()), { ok: false, reason: 'not-a-review' })
  t.equal(memo.computed.length, 0)
})

t.test('every fixture review gets the same answer from the cache as computed', async (t) => {
  // As the watch hands them out: with a resourceVersion.
  const from = sources(fixtureNamespaces().map((n) => ({ ...n, resourceVersion: '1' })))
  const memo = counting()
  for (const file of fixtureFiles('reviews')) {
    const review = fixtureJson<{ request: object }>('reviews', file)
    const fresh = await answered(counting(), JSON.stringify(review), from)
    const again = (uid: string) =>
      JSON.stringify({ ...review, request: { ...review.request, uid } })
    await answered(memo, JSON.stringify(review), from)
    await answered(memo, again(THIRD), from)
    const reused = await answered(memo, again(OTHER), from)
    t.equal(reused.cache, 'hit', file)
    t.same(reused.json, { ...fresh.json, response: { ...fresh.json.response, uid: OTHER } }, file)
  }
})

t.test('the memo keeps at most its limits, dropping the least recently used', async (t) => {
  const memo = counting({ entries: 2, size: 1024 * 1024 })
  const pod = (n: number, uid: string) => text(uid, { 'patterns/sidecar': 'metrics', n: String(n) })
  for (const n of [1, 2, 3]) for (const uid of [UID, THIRD]) await answered(memo, pod(n, uid))
  t.equal((await answered(memo, pod(3, OTHER))).cache, 'hit')
  t.equal((await answered(memo, pod(1, OTHER))).cache, 'miss', 'the oldest was dropped')
  const tiny = counting({ entries: 10, size: 1000 }, () => 10_000)
  for (const uid of [UID, THIRD]) await answered(tiny, text(uid))
  t.equal(
    (await answered(tiny, text(OTHER))).cache,
    'miss',
    'an answer over the size limit is not kept',
  )
})

t.test('a text seen once is remembered by its digest alone, within the same limit', async (t) => {
  const memo = counting({ entries: 2, size: 1024 * 1024 })
  const pod = (n: number, uid: string) => text(uid, { 'patterns/sidecar': 'metrics', n: String(n) })
  for (const n of [1, 2, 3]) await answered(memo, pod(n, UID))
  t.equal((await answered(memo, pod(1, OTHER))).cache, 'miss', 'forgotten: seen before 2 others')
  t.equal((await answered(memo, pod(3, OTHER))).cache, 'miss', 'kept now')
  t.equal((await answered(memo, pod(3, THIRD))).cache, 'hit')
})

t.test('a long text is digested whole only once its glance was seen before', async (t) => {
  // Texts that agree for the first 4,096 characters after the uid and in length share a glance:
  // the second costs a digest of the whole, and each keeps its own answer under its own digest.
  const memo = counting()
  const long = (uid: string, port: number) => {
    const web = {
      name: 'web',
      image: 'example/web:1',
      ports: [{ name: 'http', containerPort: port }],
    }
    const annotations = { pad: 'x'.repeat(5000), 'patterns/sidecar': 'metrics' }
    const { uid: _, ...request } = podReview('shop', annotations, [web]).request
    return JSON.stringify({
      kind: 'AdmissionReview',
      apiVersion: 'admission.k8s.io/v1',
      request: { uid, ...request },
    })
  }
  const first = memo.memo.keyOf(long(UID, 8080))
  t.equal(first?.digest, undefined, 'never seen: not digested whole')
  t.equal(first?.glance, memo.memo.keyOf(long(OTHER, 9090))?.glance, 'one glance for both')
  const results = []
  for (const [uid, port] of [
    [UID, 8080],
    [UID, 9090],
    [OTHER, 9090],
    [OTHER, 8080],
    [THIRD, 8080],
    [THIRD, 9090],
  ] as const)
    results.push({ port, ...(await answered(memo, long(uid, port))) })
  t.same(
    results.map((r) => r.cache),
    ['miss', 'miss', 'hit', 'miss', 'hit', 'hit'],
  )
  t.ok(memo.memo.keyOf(long(UID, 8080))?.digest, 'seen: digested whole')
  for (const { port, uid, json } of results) {
    const fresh = await answered(counting(), long(uid, port))
    t.same(json, fresh.json, `${uid} on port ${port}: the answer computed for it`)
  }
})

// Whatever the Pods and however their reviews are written (the uid first or last, pretty-printed,
// a decoy "uid" before the review's own: in userInfo, an annotation's key or value, a duplicate
// key, an escaped key), each review answered through one memo, interleaved with others, gets the
// answer a memo-less computation gives it, with its own uid.
// Few uids, so that texts repeat and a decoy may carry another review's uid.
const uids = fc.oneof(fc.constantFrom(UID, OTHER, THIRD), fc.uuid())
const writing = fc.record({
  uidFirst: fc.boolean(),
  pretty: fc.boolean(),
  decoy: fc.constantFrom(
    'none',
    'userInfo',
    'annotation-key',
    'annotation-value',
    'duplicate-key',
    'escaped-key',
  ),
})
type Writing = typeof writing extends fc.Arbitrary<infer W> ? W : never

// The review's text with `uid`, written as `how` says, a decoy bearing `decoyUid`.
function written(review: PodReview, how: Writing, uid: string, decoyUid: string): string {
  const { uid: _, ...rest } = review.request
  const object = structuredClone(rest.object)
  if (how.decoy === 'annotation-key' || how.decoy === 'annotation-value') {
    const decoy =
      how.decoy === 'annotation-key' ? { uid: decoyUid } : { note: `"uid":"${decoyUid}"` }
    object.metadata = {
      ...object.metadata,
      annotations: { ...decoy, ...object.metadata?.annotations },
    }
  }
  const userInfo = how.decoy === 'userInfo' ? { userInfo: { username: 'u', uid: decoyUid } } : {}
  const request = how.uidFirst
    ? { uid, ...userInfo, ...rest, object }
    : { ...userInfo, ...rest, object, uid }
  const review_ = { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request }
  const text = how.pretty ? JSON.stringify(review_, null, 1) : JSON.stringify(review_)
  const own = how.pretty ? `"uid": "${uid}"` : `"uid":"${uid}"`
  if (how.decoy === 'duplicate-key') return text.replace(own, `"uid":"${decoyUid}",${own}`)
  if (how.decoy === 'escaped-key') return text.replace(own, own.replace('"uid"', '"\\u0075id"'))
  return text
}

t.test('through the memo, every review gets the answer computed for it', async (t) => {
  const from = sources(
    NAMESPACES.map((name) => ({ name, resourceVersion: '1', labels: {}, annotations: {} })),
  )
  let hits = 0
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(podReviews, writing), { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), uids, uids), { minLength: 3, maxLength: 12 }),
      async (pods, sequence) => {
        const memo = counting()
        for (const [pick, uid, decoyUid] of sequence) {
          const [review, how] = pods[pick % pods.length] as [PodReview, Writing]
          const body = written(review, how, uid, decoyUid)
          const got = await answer(memo, body, from)
          const fresh = await answer(counting(), body, from)
          // Hit, miss or bypass, the answer is the same.
          const any = (answered: Answered) =>
            answered.ok ? { ...answered, cache: 'any' } : answered
          assert.deepEqual(any(got), any(fresh), body)
          if (got.ok && got.cache === 'hit') hits++
        }
      },
    ),
    { numRuns: Number(process.env.FC_RUNS ?? 150) },
  )
  t.ok(hits > 0, `${hits} answers came from the memo`)
})
