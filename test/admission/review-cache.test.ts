// The review cache answers a review like the one before it only when it is the same review but
// for its uid, under the same catalog and namespace; every other text is computed anew.
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { encodeReview } from '../../src/admission/review.ts'
import {
  type AnswerSources,
  type CacheLimits,
  createReviewCache,
  locateUid,
} from '../../src/admission/review-cache.ts'
import type { AdmissionRequest } from '../../src/admission/types.ts'
import { loadCatalog } from '../../src/catalog/load.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { testCatalog } from '../helpers/config.ts'
import { fixtureFiles, fixtureJson, fixtureNamespaces } from '../helpers/fixtures.ts'
import { podReview, staticNamespaces } from '../helpers/reviews.ts'

const UID = '5b0a7f8e-1c2d-4e3f-9a8b-7c6d5e4f3a2b'
const OTHER = 'a1b2c3d4-0000-4000-8000-000000000042'

/** A cache whose answers are admit()'s JSON text, counting how often it computes one. */
function counting(limits?: CacheLimits) {
  const computed: string[] = []
  const cache = createReviewCache(
    {
      compute: (request: AdmissionRequest, context) => {
        computed.push(request.uid)
        return encodeReview(admit(request, context).response)
      },
      size: (value) => value.length,
    },
    limits,
  )
  return { cache, computed }
}

const sources = (namespaces: NamespaceFacts[] = [], catalog = testCatalog): AnswerSources => ({
  decode: (text) => JSON.parse(text),
  catalog: () => catalog,
  namespaces: staticNamespaces(namespaces),
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

async function answered(
  cache: ReturnType<typeof counting>['cache'],
  body: string,
  from = sources(),
) {
  const result = await cache.answer(body, from)
  if (!result.ok) throw new Error(result.error)
  return {
    uid: result.uid,
    cache: result.cache,
    json: JSON.parse(result.value.withUid(result.uid)),
  }
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
    const { cache, computed } = counting()
    const first = await answered(cache, text(UID))
    const second = await answered(cache, text(OTHER))
    t.same([first.cache, second.cache], ['miss', 'hit'])
    t.same(computed.length, 1, 'computed once')
    t.equal(second.json.response.uid, OTHER)
    t.same({ ...second.json.response, uid: UID }, first.json.response, 'the same answer otherwise')
  },
)

t.test('any other difference is another review', async (t) => {
  const { cache, computed } = counting()
  await answered(cache, text(UID))
  const other = await answered(cache, text(OTHER, { 'patterns/sidecar': 'metrics,auth' }))
  t.equal(other.cache, 'miss')
  t.equal(computed.length, 2)
  t.match(
    Buffer.from(other.json.response.patch, 'base64').toString(),
    /patterns-auth/,
    'the second Pod gets its own sidecars',
  )
})

t.test('a new catalog or a changed namespace recomputes the answer', async (t) => {
  const { cache, computed } = counting()
  const shop = { name: 'shop', labels: {}, annotations: {} }
  await answered(cache, text(UID), sources([shop]))
  t.equal((await answered(cache, text(OTHER), sources([shop]))).cache, 'hit')
  // The namespace cache hands out a new object when the watch reports a change.
  const changed = { ...shop, annotations: { 'patterns/sidecar': 'auth' } }
  const after = await answered(cache, text(OTHER), sources([changed]))
  t.equal(after.cache, 'miss')
  t.match(Buffer.from(after.json.response.patch, 'base64').toString(), /patterns-auth/)
  const reloaded = loadCatalog(undefined, 'example/sidecar-patterns:2')
  if (!reloaded.ok) throw new Error(reloaded.errors.join('\n'))
  const next = await answered(cache, text(OTHER), sources([changed], reloaded.catalog))
  t.equal(next.cache, 'miss')
  t.match(Buffer.from(next.json.response.patch, 'base64').toString(), /sidecar-patterns:2/)
  t.equal(computed.length, 3)
})

t.test('a text whose first "uid" is not the review uid is answered, never kept', async (t) => {
  const { cache, computed } = counting()
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
    const result = await answered(cache, body(uid))
    t.same([result.cache, result.uid, result.json.response.uid], ['bypass', uid, uid])
  }
  t.equal(computed.length, 2)
})

t.test('a uid repeated by a later duplicate key cannot borrow an answer', async (t) => {
  // JSON.parse keeps the last of duplicate keys: here the review's uid is the escaped one, and
  // the first, plain "uid" is a decoy that a lexical cache would take for the uid.
  const { cache } = counting()
  const body = (decoy: string) =>
    text(UID).replace(`"uid":"${UID}"`, `"uid":"${decoy}","uid":"\\u0035${UID.slice(1)}"`)
  const first = await answered(cache, body('decoy-1'))
  const second = await answered(cache, body('decoy-2'))
  t.same(
    [first.cache, second.cache, first.json.response.uid, second.json.response.uid],
    ['bypass', 'bypass', UID, UID],
  )
})

t.test('texts that are not reviews get the same errors as without a cache', async (t) => {
  const { cache } = counting()
  t.throws(() => JSON.parse('{"uid":"x"'))
  await t.rejects(cache.answer('{"request":{"uid":"abc"', sources()), SyntaxError)
  await t.rejects(cache.answer('', sources()), SyntaxError)
  t.match(await cache.answer('{"request":{"uid":"abc"}}', sources()), {
    ok: false,
    error: /not an admission.k8s.io\/v1 AdmissionReview/,
  })
  t.match(await cache.answer('[1]', sources()), { ok: false })
})

t.test('every fixture review gets the same answer from the cache as computed', async (t) => {
  const from = sources(fixtureNamespaces())
  const { cache } = counting()
  for (const file of fixtureFiles('reviews')) {
    const review = fixtureJson<{ request: object }>('reviews', file)
    const fresh = await answered(counting().cache, JSON.stringify(review), from)
    await answered(cache, JSON.stringify(review), from)
    const again = JSON.stringify({ ...review, request: { ...review.request, uid: OTHER } })
    const reused = await answered(cache, again, from)
    t.equal(reused.cache, 'hit', file)
    t.same(reused.json, { ...fresh.json, response: { ...fresh.json.response, uid: OTHER } }, file)
  }
})

t.test('the cache keeps at most its limits, dropping the least recently used', async (t) => {
  const { cache } = counting({ entries: 2, size: 1024 * 1024 })
  const pod = (n: number, uid: string) => text(uid, { 'patterns/sidecar': 'metrics', n: String(n) })
  for (const n of [1, 2, 3]) await cache.answer(pod(n, UID), sources())
  t.equal((await answered(cache, pod(3, OTHER))).cache, 'hit')
  t.equal((await answered(cache, pod(1, OTHER))).cache, 'miss', 'the oldest was dropped')
  const tiny = createReviewCache(
    { compute: () => encodeReview({ uid: '', allowed: true }), size: () => 10_000 },
    { entries: 10, size: 1000 },
  )
  await tiny.answer(text(UID), sources())
  t.equal(
    (await answered(tiny, text(OTHER))).cache,
    'miss',
    'an answer over the size limit is not kept',
  )
})
