// injectPod() is the one pipeline behind admit() and the inject command: shape check, decision,
// and a patch only for a Pod that gets sidecars.
import t from 'tap'
import { decide } from '../../src/injection/decide.ts'
import { injectPod } from '../../src/injection/inject-pod.ts'
import { inject } from '../../src/injection/mutate.ts'
import { diff } from '../../src/injection/patch.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { annotatedPod } from '../helpers/reviews.ts'

t.test('an object that is not a Pod: the first wrong field, without a subject', async (t) => {
  t.strictSame(injectPod({ spec: { containers: 'web' } }, builtinCatalog, undefined), {
    ok: false,
    error: '/spec/containers must be array',
  })
})

t.test('a Pod that gets sidecars: the decision and the patch that adds them', async (t) => {
  const asked = annotatedPod({ 'patterns/sidecar': 'metrics' })
  const result = injectPod(asked, builtinCatalog, undefined)
  if (!result.ok || result.decision.action !== 'inject') throw new Error('expected an injection')
  t.equal(result.pod, asked, 'the Pod checked in place, not copied')
  const decision = decide(asked, builtinCatalog)
  if (decision.action !== 'inject') throw new Error('expected an injection')
  t.strictSame(result.decision.operations, diff(asked, inject(asked, decision.plan)))
  t.same(
    result.decision.plan.sidecars.map((s) => s.name),
    ['metrics'],
  )
})

t.test('a Pod that gets none: the decision alone', async (t) => {
  const result = injectPod(annotatedPod({}), builtinCatalog, undefined)
  t.match(result, { ok: true, decision: { action: 'skip', reason: 'not-requested' } })
  t.notOk(result.ok && 'operations' in result.decision)
})
