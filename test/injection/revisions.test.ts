// patterns/revision records, next to patterns/injected, the revision of each sidecar injected:
// written with the sidecars, kept for those an earlier call added, never trusted from the author.

import t from 'tap'
import { INJECTED, REVISION } from '../../src/injection/annotations.ts'
import { injectPod } from '../../src/injection/inject-pod.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { formatRevisions, readRevisions } from '../../src/injection/revisions.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { injected as injectedBy } from '../helpers/injected.ts'
import { annotatedPod } from '../helpers/reviews.ts'

const REPO = 'https://github.com/example/site.git'

/** The Pod as the webhook leaves it; fails the test if nothing is injected. */
const injected = (pod: Pod): Pod => injectedBy(pod, builtinCatalog)

/** Today's revision of `name` for a Pod with `params`, in the catalog's mode. */
function today(name: string, params: Record<string, string> = {}): string {
  const configured = builtinCatalog.sidecars.get(name)?.configure(new Map(Object.entries(params)))
  if (!configured?.ok) throw new Error(`${name} did not configure`)
  return configured.sidecar.revision(builtinCatalog.mode)
}

t.test(
  'each sidecar injected is recorded with the revision today’s catalog gives it',
  async (t) => {
    const pod = injected(
      annotatedPod({ 'patterns/sidecar': 'metrics, git-sync', 'patterns/git-sync.repo': REPO }),
    )
    t.equal(pod.metadata?.annotations?.[INJECTED], 'metrics,git-sync')
    t.equal(
      pod.metadata?.annotations?.[REVISION],
      `metrics=${today('metrics')},git-sync=${today('git-sync', { repo: REPO })}`,
    )
  },
)

t.test('reinvocation changes nothing; a sidecar added later is appended', async (t) => {
  const once = injected(annotatedPod({ 'patterns/sidecar': 'metrics' }))
  const again = injectPod(once, builtinCatalog, undefined)
  t.match(again, { ok: true, decision: { action: 'skip', reason: 'already-injected' } })

  // Another webhook asks for git-sync in between: metrics keeps the revision it was injected with.
  const asked = structuredClone(once)
  asked.metadata = {
    ...asked.metadata,
    annotations: {
      ...asked.metadata?.annotations,
      'patterns/sidecar': 'metrics, git-sync',
      'patterns/git-sync.repo': REPO,
      [REVISION]: `metrics=0123456789`,
    },
  }
  const twice = injected(asked)
  t.equal(
    twice.metadata?.annotations?.[REVISION],
    `metrics=0123456789,git-sync=${today('git-sync', { repo: REPO })}`,
  )
})

t.test('what a Pod author writes is kept only for sidecars an earlier call added', async (t) => {
  const pod = injected(
    annotatedPod({ 'patterns/sidecar': 'metrics', [REVISION]: 'metrics=0000000000,auth=abc' }),
  )
  t.equal(pod.metadata?.annotations?.[REVISION], `metrics=${today('metrics')}`)
  const again = injectPod(pod, builtinCatalog, undefined)
  t.match(again, { ok: true, decision: { warnings: [] } }, 'a known annotation, never stray')
})

t.test('reading the annotation: name=digest entries, anything else left out', async (t) => {
  const read = (value: string) => [...readRevisions({ [REVISION]: value })]
  t.same(read(' metrics = 3f2a9c01bc , git-sync=8e1d44a07f '), [
    ['metrics', '3f2a9c01bc'],
    ['git-sync', '8e1d44a07f'],
  ])
  t.same(
    read('metrics,=abc,auth=XYZ,git-sync=a=b,metrics=ffff'),
    [['metrics', 'ffff']],
    'only the one well-formed entry',
  )
  t.same(read('metrics=abc,metrics=def'), [['metrics', 'abc']], 'the first of a name')
  t.same(read(`metrics=abc,${'x'.repeat(5000)}`), [], 'a value too long to be a list is none')
  t.same([...readRevisions(undefined)], [])
  t.equal(
    formatRevisions([
      ['metrics', 'abc'],
      ['auth', 'def'],
    ]),
    'metrics=abc,auth=def',
  )
})
