// One review, start to finish, when the request itself is hostile: whatever a Pod's annotations
// hold, the answer stays a few kilobytes and says what is wrong once; a namespace name the API
// server could not have sent is refused before anything is looked up.
import t from 'tap'
import { admit, namespaceToRead } from '../../src/admission/admit.ts'
import { encodeReview, parseReview } from '../../src/admission/review.ts'
import { quote } from '../../src/shared/quote.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { podReview } from '../helpers/reviews.ts'

const context = { catalog: builtinCatalog, namespace: undefined }

function answer(review: unknown) {
  const parsed = parseReview(review)
  if (!parsed.ok) throw new Error(parsed.error)
  return admit(parsed.request, context).response
}

const names = (n: number, name: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => name(i))
const annotations = (keys: string[], value = 'x') =>
  Object.fromEntries(keys.map((key) => [key, value]))

// Measured before the bounds: 200,000 repeats gave 200,000 warnings in 11 MB; 20,000 distinct
// names, seconds of CPU and a message naming each.
const hostile: [string, Record<string, string>][] = [
  ['200,000 repeats', { 'patterns/sidecar': names(200_000, () => 'metrics').join(',') }],
  ['20,000 distinct names', { 'patterns/sidecar': names(20_000, (i) => `s${i}`).join(',') }],
  ['20,000 names injected', { 'patterns/injected': names(20_000, (i) => `s${i}`).join(',') }],
  ['100,000 stray keys', annotations(names(100_000, (i) => `patterns/stray${i}`))],
  [
    '100,000 unknown parameters',
    {
      'patterns/sidecar': 'metrics',
      ...annotations(names(100_000, (i) => `patterns/metrics.x${i}`)),
    },
  ],
  [
    '100,000 parameters of unknown sidecars',
    annotations(names(100_000, (i) => `patterns/s${i}.x`)),
  ],
  ['a 1 MB stray key', { [`patterns/${'x'.repeat(1024 * 1024)}`]: 'x' }],
]

t.test('a hostile Pod gets an answer of a few kilobytes', async (t) => {
  for (const [what, hostileAnnotations] of hostile) {
    const response = answer(podReview('shop', hostileAnnotations))
    const size = encodeReview(response).length
    t.ok(size < 16 * 1024, `${what}: ${size} characters`)
  }
})

t.test('a list longer than any catalog is refused with one sentence', async (t) => {
  const response = answer(podReview('shop', hostile[0]?.[1]))
  t.same(response.status, {
    code: 422,
    reason: 'Invalid',
    message:
      'patterns/sidecar: is longer than 4096 characters, more than any list of sidecar names',
  })
  t.notOk(response.warnings, 'and no warning per name')
})

// The API server names a Pod's namespace as it was created: a DNS-1123 label. A review naming
// anything else did not come from it, and is refused before any lookup.
t.test('a review naming no possible namespace is refused, and reads none', async (t) => {
  for (const namespace of ['.', '..', '../..', 'a/b', 'Shop', '-a', 'x'.repeat(64), 'a.b']) {
    const review = podReview(namespace, { 'patterns/sidecar': 'metrics' })
    const parsed = parseReview(review)
    if (!parsed.ok) throw new Error(parsed.error)
    t.equal(namespaceToRead(parsed.request), undefined, `${namespace}: nothing to look up`)
    const { response, outcome } = admit(parsed.request, context)
    const message = (value: string) =>
      `request.namespace ${value} is not a namespace name (a DNS-1123 label of at most 63 characters)`
    t.same(outcome, { result: 'denied', reason: 'invalid-namespace', message: message('"…"') })
    t.same(response.status, { code: 400, reason: 'BadRequest', message: message(quote(namespace)) })
  }
  for (const namespace of ['shop', 'x'.repeat(63), 'a-1']) {
    const parsed = parseReview(podReview(namespace))
    t.equal(parsed.ok && namespaceToRead(parsed.request), namespace, `${namespace} is read`)
  }
})

t.test('a review of no Pod is let through whatever namespace it names', async (t) => {
  const review = podReview('..')
  const request = { ...review.request, kind: { group: '', version: 'v1', kind: 'ConfigMap' } }
  const parsed = parseReview({ ...review, request })
  if (!parsed.ok) throw new Error(parsed.error)
  t.same(admit(parsed.request, context).outcome, { result: 'ignored', reason: 'not-a-pod' })
})

// The outcome names the Pod in the log line of every review, and stays in memory with every
// answer the review memo keeps: the API server bounds these names only after admission.
t.test('the Pod an outcome names is described in a bounded line', async (t) => {
  const huge = 'x'.repeat(1024 * 1024)
  const review = podReview('shop', { 'patterns/sidecar': 'metrics' })
  const object = review.request.object
  const metadata = {
    ...object.metadata,
    generateName: huge,
    namespace: huge,
    ownerReferences: [{ kind: huge, name: huge, controller: true }],
  }
  const { outcome } = admit(
    { ...review.request, object: { ...object, metadata } } as never,
    context,
  )
  const pod = 'pod' in outcome ? (outcome.pod ?? '') : ''
  t.ok(pod.length > 0 && pod.length <= 1024, `${pod.length} characters`)
})
