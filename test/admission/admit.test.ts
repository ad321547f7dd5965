// One review, start to finish, when the request itself is hostile: whatever a Pod's annotations
// hold, the answer stays a few kilobytes and says what is wrong once.
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { encodeReview, parseReview } from '../../src/admission/review.ts'
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
