// The diff is fast-json-patch's compare, operation for operation, without compare's deep copy
// of added values: compare is the oracle, on any two JSON documents, on documents that share
// parts, and on the Pods that injection really makes.
import fc from 'fast-check'
import fastJsonPatch from 'fast-json-patch'
import t from 'tap'
import { decide } from '../../src/injection/decide.ts'
import { inject } from '../../src/injection/mutate.ts'
import { diff } from '../../src/injection/patch.ts'
import { checkPod } from '../../src/injection/pod-shape.ts'
import { testCatalog } from '../helpers/config.ts'
import { podReviews } from '../helpers/pod-arbitraries.ts'

const { compare } = fastJsonPatch
const document = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 6,
})

/** A number from 0 to max, chosen by fast-check so that failures shrink. */
type Pick = (max: number) => number

// `after` made from `before` as inject makes its copy: parts kept (the same object), changed,
// removed or added, at every depth, and arrays cut or grown at their end.
function edited(before: unknown, pick: Pick): unknown {
  if (typeof before !== 'object' || before === null || pick(3) === 0) return before
  if (Array.isArray(before)) {
    const kept = before.slice(0, pick(before.length)).map((value) => edited(value, pick))
    return pick(1) ? [...kept, 'new', { x: 1 }] : kept
  }
  const after: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(before)) {
    const choice = pick(4)
    if (choice === 0) continue
    after[key] = choice === 1 ? 'changed' : edited(value, pick)
  }
  if (pick(1)) after[`a/~${pick(9)}`] = { x: [1] }
  return after
}

t.test('the same operations as compare, on any two documents', async (t) => {
  fc.assert(
    fc.property(document, document, (a, b) => {
      t.strictSame(diff(a, b), compare(a, b))
    }),
    { numRuns: 300 },
  )
})

t.test('the same operations as compare, on documents that share parts', async (t) => {
  let operations = 0
  fc.assert(
    fc.property(document, fc.gen(), (before, gen) => {
      const pristine = JSON.stringify(before)
      const after = edited(before, (max) => gen(fc.nat, { max })) as object
      const expected = compare(before, after)
      operations += expected.length
      t.strictSame(diff(before, after), expected)
      t.equal(JSON.stringify(before), pristine, 'the original is not modified')
    }),
    { numRuns: 300 },
  )
  t.ok(operations > 300, `the edits made ${operations} operations`)
})

t.test('the same operations as compare, on the Pods that injection makes', async (t) => {
  let injected = 0
  fc.assert(
    fc.property(podReviews, (review) => {
      const checked = checkPod(review.request.object)
      if (!checked.ok) return
      const decision = decide(checked.pod, testCatalog)
      if (decision.action !== 'inject') return
      injected++
      const mutated = inject(checked.pod, decision.plan)
      t.strictSame(diff(checked.pod, mutated), compare(checked.pod, mutated))
    }),
    // About a fifth of generated Pods get sidecars: the others are refused or not asking.
    { numRuns: 500 },
  )
  t.ok(injected >= 50, `${injected} Pods injected`)
})

t.test('escapes keys as JSON pointers want them', async (t) => {
  const before = { metadata: { annotations: { 'a/b': '1', 'c~d': '2' } } }
  const after = { metadata: { annotations: { 'a/b': '3', 'c~d': '2', 'patterns/x': 'y' } } }
  t.strictSame(diff(before, after), [
    { op: 'replace', path: '/metadata/annotations/a~1b', value: '3' },
    { op: 'add', path: '/metadata/annotations/patterns~1x', value: 'y' },
  ])
})

t.test(
  'keys with undefined values, as object spreads leave them, are treated as compare treats them',
  async (t) => {
    const cases: [object, object][] = [
      [
        { a: undefined, b: 1 },
        { a: undefined, b: 1 },
      ],
      [{ a: 1 }, { a: undefined }],
      [{ a: undefined }, { a: 1 }],
      [{}, { a: undefined }],
      [
        [1, 2],
        [1, undefined],
      ],
    ]
    for (const [before, after] of cases) t.strictSame(diff(before, after), compare(before, after))
  },
)
