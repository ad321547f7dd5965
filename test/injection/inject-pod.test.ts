// injectPod() is the one pipeline behind admit() and the inject command: shape check, decision,
// and a patch only for a Pod that gets sidecars.
import t from 'tap'
import { decide } from '../../src/injection/decide.ts'
import { injectPod } from '../../src/injection/inject-pod.ts'
import { inject } from '../../src/injection/mutate.ts'
import { diff } from '../../src/injection/patch.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { builtinCatalog } from '../helpers/config.ts'

const pod = (annotations: Record<string, string>): Pod => ({
  metadata: { name: 'p', annotations },
  spec: { containers: [{ name: 'web', image: 'web', ports: [{ containerPort: 8080 }] }] },
})

t.test('an object that is not a Pod: the first wrong field, without a subject', async (t) => {
  t.strictSame(injectPod({ spec: { containers: 'web' } }, builtinCatalog, undefined), {
    ok: false,
    error: '/spec/containers must be array',
  })
})

t.test('a Pod that gets sidecars: the decision and the patch that adds them', async (t) => {
  const asked = pod({ 'patterns/sidecar': 'metrics' })
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
  const result = injectPod(pod({}), builtinCatalog, undefined)
  t.match(result, { ok: true, decision: { action: 'skip', reason: 'not-requested' } })
  t.notOk(result.ok && 'operations' in result.decision)
})
