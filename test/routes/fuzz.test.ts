// Bad input by the thousand, through the real HTTPS server. Whatever bytes arrive, the answer is
// a 4xx that Fastify or the envelope check gives (400, or 415 for a content type it does not
// parse, 413 over the body limit), never a 5xx, and the server keeps answering. Whatever Pod
// arrives in a well-formed review, the answer is an AdmissionReview with the request uid whose
// patch applies with an independent RFC 6902 implementation, keeps the Pod valid and the app
// untouched, and leaves nothing to do on reinvocation.
import fc from 'fast-check'
import { applyPatch } from 'rfc6902'
import t, { type Test } from 'tap'
import { BODY_LIMIT } from '../../src/server.ts'
import { fixtureFiles, fixtureNamespaces, fixtureText } from '../helpers/fixtures.ts'
import { type RunningWebhook, startWebhook } from '../helpers/https.ts'
import { type PodReview, podReviews } from '../helpers/pod-arbitraries.ts'
import { podViolations, unexpectedChanges } from '../helpers/pod-invariants.ts'
import { decodePatch, staticNamespaces } from '../helpers/reviews.ts'

// Real-shaped reviews, without the final newline: every strict prefix is then invalid JSON.
const REVIEWS = new Map(
  fixtureFiles('reviews').map((f) => [f, Buffer.from(fixtureText('reviews', f).trimEnd())]),
)
const FIXTURES = [...REVIEWS.values()]
const namespaces = staticNamespaces(fixtureNamespaces())

// Content types with the status their parser gives a body that is not a review: Fastify parses
// JSON and plain text (then the envelope check refuses), and answers 415 to anything else.
const contentType = fc.oneof(
  { arbitrary: fc.constant({ type: 'application/json', status: 400 }), weight: 8 },
  fc.constantFrom(
    { type: 'application/json; charset=utf-8', status: 400 },
    { type: 'text/plain', status: 400 },
    { type: 'application/octet-stream', status: 415 },
    { type: 'application/x-www-form-urlencoded', status: 415 },
  ),
)
const randomBytes = fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes))
const randomJson = fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text))
const truncated = fc
  .tuple(fc.constantFrom(...FIXTURES), fc.nat())
  .map(([text, n]) => text.subarray(0, n % text.length))
// The envelope nearly right: right field names, wrong values.
const nearlyReview = fc
  .record({
    apiVersion: fc.oneof(fc.constant('admission.k8s.io/v1beta1'), fc.jsonValue()),
    kind: fc.oneof(fc.constant('AdmissionReview'), fc.jsonValue()),
    request: fc.oneof(fc.jsonValue(), fc.record({ uid: fc.constant(''), kind: fc.jsonValue() })),
  })
  .map((body) => Buffer.from(JSON.stringify(body)))
// A real review with a key that would poison prototypes: Fastify's parser refuses it.
const poisoned = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.constantFrom('"__proto__":{"x":1},', '"constructor":{"prototype":{}},'),
  )
  .map(([text, key]) =>
    Buffer.from(text.toString().replace('"metadata": {', `"metadata": {${key}`)),
  )
const badBody = fc.oneof(randomBytes, randomJson, truncated, nearlyReview, poisoned)

interface ReviewAnswer {
  apiVersion?: unknown
  kind?: unknown
  response?: {
    uid?: unknown
    allowed?: unknown
    patch?: unknown
    patchType?: unknown
    status?: { message?: unknown }
  }
}

/** Rules any 200 answer keeps: an AdmissionReview with the uid, a patch only with its type. */
function answerViolations(json: unknown, uid: unknown): string[] {
  const { apiVersion, kind, response } = (json ?? {}) as ReviewAnswer
  const found: string[] = []
  const fail = (ok: unknown, why: string) => ok || found.push(why)
  fail(apiVersion === 'admission.k8s.io/v1' && kind === 'AdmissionReview', 'not an AdmissionReview')
  fail(response?.uid === uid, `response.uid ${String(response?.uid)} is not the request uid`)
  fail(typeof response?.allowed === 'boolean', 'no allowed')
  fail(
    (response?.patch === undefined) === (response?.patchType === undefined),
    'patch iff patchType',
  )
  if (response?.allowed === false) {
    fail(response.patch === undefined, 'a denial carries a patch')
    fail(typeof response.status?.message === 'string', 'a denial has no message')
  }
  return found
}

/** Runs `property` and fails `t` with the shrunk counterexample and what it broke. */
async function check<T>(
  t: Test,
  arbitrary: fc.Arbitrary<T>,
  run: (value: T) => Promise<string[]>,
  numRuns: number,
) {
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      const found = await run(value)
      if (found.length) throw new Error(found.join('\n'))
    }),
    { numRuns },
  )
  const broken = details.errorInstance instanceof Error ? details.errorInstance.message : ''
  t.notOk(details.failed, `${fc.defaultReportMessage(details) ?? 'no counterexample'}\n${broken}`)
}

async function stillAnswers(t: Test, webhook: RunningWebhook) {
  t.same(
    await webhook.get('/healthz'),
    { status: 200, json: { status: 'ok' } },
    'healthz still answers',
  )
}

t.test('random and truncated bodies get a 4xx, never a 5xx', async (t) => {
  const webhook = await startWebhook(t)
  const statuses = new Map<number, number>()
  await check(
    t,
    fc.tuple(badBody, contentType),
    async ([body, { type, status }]) => {
      const answer = await webhook.post('/mutate', body, type)
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
      const message = (answer.json as { message?: unknown } | undefined)?.message
      return answer.status === status && typeof message === 'string'
        ? []
        : [`${type}: ${answer.status} ${JSON.stringify(answer.json)}, expected ${status}`]
    },
    400,
  )
  t.ok((statuses.get(400) ?? 0) > 200, `mostly 400: ${JSON.stringify([...statuses])}`)
  await stillAnswers(t, webhook)
})

// Every path in a review, for removing a field or giving it a value of the wrong type.
type Path = (string | number)[]
function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix]
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value)
  return [prefix, ...entries.flatMap(([key, v]) => paths(v, [...prefix, key]))]
}
const WRONG = [null, 0, -1, 1.5, 1e300, '', 'x', true, [], [1], {}, { a: 1 }, ['x', null]]
const mutation = fc.record({
  at: fc.nat(),
  value: fc.oneof(fc.constant('remove' as const), fc.constantFrom(...WRONG)),
})

function mutate(review: Record<string, unknown>, changes: { at: number; value: unknown }[]) {
  const candidates = paths(review).filter((p) => p.length > 0)
  for (const { at, value } of changes) {
    const path = candidates[at % candidates.length] ?? []
    const parent = path
      .slice(0, -1)
      .reduce<unknown>(
        (node, key) => (node as Record<string, unknown> | undefined)?.[key],
        review,
      ) as Record<string | number, unknown> | undefined
    const key = path.at(-1) ?? ''
    if (typeof parent !== 'object' || parent === null) continue
    if (value !== 'remove') parent[key] = structuredClone(value)
    else if (Array.isArray(parent)) parent.splice(Number(key), 1)
    else delete parent[key]
  }
  return review
}

t.test(
  'reviews with fields removed or of the wrong type: a 400 or an AdmissionReview',
  async (t) => {
    const webhook = await startWebhook(t, { namespaces })
    const statuses = new Map<number, number>()
    const reviews = fc
      .tuple(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([text, changes]) => mutate(JSON.parse(text.toString()), changes))
    await check(
      t,
      reviews,
      async (review) => {
        const answer = await webhook.post('/mutate', JSON.stringify(review))
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        const message = (answer.json as { message?: unknown } | undefined)?.message
        if (answer.status === 400) return typeof message === 'string' ? [] : ['400 without message']
        if (answer.status !== 200)
          return [`status ${answer.status}: ${JSON.stringify(answer.json)}`]
        const uid = (review.request as { uid?: unknown } | undefined)?.uid
        return answerViolations(answer.json, uid)
      },
      500,
    )
    t.ok(
      (statuses.get(200) ?? 0) > 100 && (statuses.get(400) ?? 0) > 50,
      JSON.stringify([...statuses]),
    )
    await stillAnswers(t, webhook)
  },
)

t.test('a body over the limit gets a 413', async (t) => {
  const webhook = await startWebhook(t)
  const answer = await webhook.post('/mutate', Buffer.alloc(BODY_LIMIT + 1, ' '))
  t.equal(answer.status, 413)
  await stillAnswers(t, webhook)
})

type Checked = Parameters<typeof podViolations>[0]

/** Everything wrong with the answer to `review`, its patch, the patched Pod and reinvocation. */
async function podAnswerViolations(
  webhook: RunningWebhook,
  review: PodReview,
  outcomes: Map<string, number>,
) {
  const original = review.request.object
  const before = podViolations(original as Checked)
  if (before.length) return [`the generator made an invalid Pod: ${before.join('; ')}`]
  const answer = await webhook.post('/mutate', JSON.stringify(review))
  if (answer.status !== 200) return [`status ${answer.status}: ${JSON.stringify(answer.json)}`]
  const found = answerViolations(answer.json, review.request.uid)
  const { response } = answer.json as { response: { allowed: boolean; patch?: string } }
  const outcome = response.patch ? 'injected' : response.allowed ? 'skipped' : 'denied'
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
  if (found.length || response.patch === undefined) return found

  const pod = structuredClone(original)
  const results = applyPatch(pod, decodePatch(response.patch))
  if (!results.every((r) => r === null))
    return [`rfc6902 cannot apply the patch: ${results.join('; ')}`]
  found.push(
    ...podViolations(pod as Checked),
    ...unexpectedChanges(original as Checked, pod as Checked),
  )
  const again = await webhook.post(
    '/mutate',
    JSON.stringify({ ...review, request: { ...review.request, object: pod } }),
  )
  const second = again.json as { response?: { allowed?: boolean; patch?: string } }
  if (again.status !== 200 || !second.response?.allowed || second.response.patch !== undefined)
    found.push(`reinvocation: ${again.status} ${JSON.stringify(again.json)}`)
  return found
}

t.test(
  'random Pods over HTTPS: valid answers, patches that apply, nothing left on reinvocation',
  async (t) => {
    const webhook = await startWebhook(t, { namespaces })
    const outcomes = new Map<string, number>()
    await check(t, podReviews, (review) => podAnswerViolations(webhook, review, outcomes), 500)
    // The generator is only worth its runs if it reaches every kind of answer.
    for (const outcome of ['injected', 'denied', 'skipped'])
      t.ok((outcomes.get(outcome) ?? 0) >= 50, `${outcome}: ${outcomes.get(outcome) ?? 0} runs`)
    await stillAnswers(t, webhook)
  },
)

// Inputs that made src/ answer 500 before, found by the mutations above: kept as plain cases.
const metricsBasic = () => JSON.parse(REVIEWS.get('metrics-basic.json')?.toString() ?? '{}')

t.test('a wrong-typed metadata.ownerReferences is answered with a review, not a 500', async (t) => {
  const webhook = await startWebhook(t)
  for (const ownerReferences of ['x', {}, [null], 5]) {
    const review = metricsBasic()
    review.request.object.metadata.ownerReferences = ownerReferences
    const answer = await webhook.post('/mutate', JSON.stringify(review))
    const why = `ownerReferences: ${JSON.stringify(ownerReferences)}`
    t.equal(answer.status, 200, why)
    t.same(answerViolations(answer.json, review.request.uid), [], why)
  }
  await stillAnswers(t, webhook)
})

t.test('a deeply nested field in the Pod is answered with a review, not a 500', async (t) => {
  const webhook = await startWebhook(t)
  const review = metricsBasic()
  // managedFields[].fieldsV1 is raw JSON to the API server: the one place a Pod can nest freely.
  // Written as text: JSON.stringify would overflow the stack of this test first.
  review.request.object.metadata.managedFields = [
    { manager: 'x', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: 'DEEP' },
  ]
  const deep = `${'{"f:a":'.repeat(5000)}{}${'}'.repeat(5000)}`
  const body = JSON.stringify(review).replace('"DEEP"', deep)
  const answer = await webhook.post('/mutate', body)
  t.equal(answer.status, 200, 'depth 5,000')
  t.same(answerViolations(answer.json, review.request.uid), [], 'depth 5,000')
  await stillAnswers(t, webhook)
})
