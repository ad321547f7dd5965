// What the webhook answers is bounded whatever the Pod holds: warnings as the API server passes
// them on (deduplicated, 4 KiB in all, k8s.io/apiserver pkg/endpoints/filters/warning.go), and a
// refusal's message, so that a Pod with thousands of stray keys or bad parameters cannot make the
// webhook write megabytes into every answer.
import t from 'tap'
import {
  MAX_MESSAGE_LENGTH,
  MAX_WARNING_LENGTH,
  MAX_WARNINGS,
} from '../../src/admission/answer-bounds.ts'
import { allowed, denied, encodeReview, patched } from '../../src/admission/review.ts'

const uid = 'u'
const status = (message: string) => ({ code: 422, reason: 'Invalid', message })
const many = (n: number, text = (i: number) => `patterns/x${i}: not an annotation; ignored`) =>
  Array.from({ length: n }, (_, i) => text(i))
const answers = (warnings: string[]) => [
  allowed(uid, warnings),
  denied(uid, status('no'), warnings),
  patched(uid, [{ op: 'add', path: '/a', value: 1 }], warnings),
]

t.test('warnings within bounds are sent as they are', async (t) => {
  const warnings = many(MAX_WARNINGS)
  for (const answer of answers(warnings)) t.same(answer.warnings, warnings)
  for (const answer of answers([])) t.notOk('warnings' in answer, 'none, no field')
})

t.test('the API server shows a warning once: so are they sent', async (t) => {
  for (const answer of answers(['a', 'b', 'a', 'a'])) t.same(answer.warnings, ['a', 'b'])
})

t.test('past MAX_WARNINGS, the last one says how many more there were', async (t) => {
  for (const answer of answers(many(200_000))) {
    t.same(answer.warnings, [
      ...many(MAX_WARNINGS - 1),
      `and ${200_000 - MAX_WARNINGS + 1} more warnings`,
    ])
  }
})

t.test('each warning is cut to MAX_WARNING_LENGTH characters, 4 KiB in all', async (t) => {
  const long = (i: number) => `${i}: ${'x'.repeat(1024 * 1024)}`
  for (const answer of answers(many(100, long))) {
    const warnings = answer.warnings ?? []
    t.equal(warnings.length, MAX_WARNINGS)
    t.ok(warnings.every((w) => w.length <= MAX_WARNING_LENGTH))
    t.equal(warnings[0], `0: ${'x'.repeat(MAX_WARNING_LENGTH - 6)}...`)
    t.ok(warnings.join('').length <= 4096, 'within what the API server passes on uncut')
  }
  // A character outside the BMP is never split in half.
  const pair = 'x'.repeat(MAX_WARNING_LENGTH - 4)
  const [cut] = allowed(uid, [`${pair}😀 and more`]).warnings ?? []
  t.equal(cut, `${pair}...`)
})

t.test("a refusal's message is cut to MAX_MESSAGE_LENGTH characters", async (t) => {
  const message = many(100_000, (i) => `patterns/metrics.x${i}: unknown parameter`).join('; ')
  const answer = denied(uid, status(message))
  const sent = answer.status?.message ?? ''
  t.ok(sent.length <= MAX_MESSAGE_LENGTH)
  t.ok(sent.startsWith('patterns/metrics.x0: unknown parameter; patterns/metrics.x1'))
  t.match(sent, /\.\.\. \(\d+ more characters\)$/, 'and says it was cut')
  t.same(denied(uid, status('short')).status, status('short'), 'a short one is kept whole')
})

t.test('an encoded answer is the AdmissionReview of the response, for any uid', async (t) => {
  const tricky = ['plain', 'quote " and \\ backslash', 'line\nbreak', 'ünïcode 😀', '</script>']
  const responses = [
    ...answers(tricky),
    ...answers([]),
    patched(uid, [{ op: 'add', path: '/metadata/annotations/a~1b', value: tricky }]),
  ]
  for (const response of responses)
    for (const other of ['0f8e1c7a-2b4d-4e6f-8a9b-1c2d3e4f5a6b', 'a"b\\c']) {
      const text = encodeReview(response).withUid(other)
      t.same(JSON.parse(text), {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { ...response, uid: other },
      })
    }
})
