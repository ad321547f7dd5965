// Annotation values only ever fill typed parameters: whatever a Pod writes, the containers it
// gets have the catalog's images, fields and privileges, and injected containers meet the Pod
// Security "restricted" profile with requests and limits.
import fc from 'fast-check'
import t from 'tap'
import { decide } from '../../src/injection/decide.ts'
import { inject } from '../../src/injection/mutate.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import { builtinCatalog, catalogFrom } from '../helpers/config.ts'
import { startContainer } from '../helpers/kubelet-expansion.ts'
import { annotatedPod } from '../helpers/reviews.ts'

// A sidecar whose free-text parameter lands in args and env: the widest door a catalog can open.
const catalog = catalogFrom({
  name: 'echo.yaml',
  text: `sidecars:
  - name: echo
    params:
      message: { type: string, default: hello }
    container:
      image: example/echo:1
      args: ["--message={{message}}"]
      env: [{ name: MESSAGE, value: "{{message}}" }]
`,
})

function injected(p: Pod, from = catalog): Container[] | string {
  const decision = decide(p, from)
  if (decision.action !== 'inject') return decision.action
  const out = inject(p, decision.plan)
  return [...(out.spec.initContainers ?? []), ...out.spec.containers.slice(1)]
}

// Text the kubelet would read as `$(VAR)` or `$$`, as well as any other.
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('$', '(', ')', 'SECRET', 'X', ' '), maxLength: 30 }),
)

t.test('any text a Pod writes stays text in the fields the catalog chose', async (t) => {
  const reference = injected(annotatedPod({ 'patterns/sidecar': 'echo' }))
  if (typeof reference === 'string') throw new Error(reference)
  const [expected] = reference
  fc.assert(
    fc.property(anyText, (message) => {
      const result = injected(
        annotatedPod({ 'patterns/sidecar': 'echo', 'patterns/echo.message': message }),
      )
      if (typeof result === 'string') return result === 'deny' // control characters or too long
      const [container] = result
      const { args: _, env: __, ...rest } = container ?? { name: '' }
      const { args: ___, env: ____, ...expectedRest } = expected ?? { name: '' }
      t.same(rest, expectedRest)
      // What the program gets once the kubelet has expanded $(VAR) with a variable defined.
      const started = startContainer(container ?? {}, new Map([['SECRET', 'leaked']]))
      return (
        started.args[0] === `--message=${message.trim()}` &&
        started.env.get('MESSAGE') === message.trim() &&
        Object.keys(container ?? {}).join() === Object.keys(expected ?? {}).join()
      )
    }),
    { numRuns: 300 },
  )
})

t.test('values shaped like YAML, JSON or templates are refused or kept as text', async (t) => {
  const attempts: Record<string, string> = {
    'patterns/git-sync.repo': 'https://git.example.com/x.git\nsecurityContext: {privileged: true}',
    'patterns/git-sync.ref': 'main --upload-pack=touch /tmp/pwned',
    'patterns/auth.secret': '{"name": "other", "optional": true}',
    'patterns/metrics.proxy-port': '15080, "hostPort": 80',
  }
  for (const [key, value] of Object.entries(attempts)) {
    const sidecar = key.slice('patterns/'.length).split('.')[0] ?? ''
    const extra =
      sidecar === 'git-sync' && !key.endsWith('.repo')
        ? { 'patterns/git-sync.repo': 'https://x.io/y' }
        : {}
    const decision = decide(
      annotatedPod({ 'patterns/sidecar': sidecar, ...extra, [key]: value }),
      builtinCatalog,
    )
    t.match(decision, { action: 'deny', problems: [{ annotation: key }] }, `${key} is refused`)
  }
  const echoed = injected(
    annotatedPod({
      'patterns/sidecar': 'echo',
      'patterns/echo.message': '{{self.image}} $(SECRET)',
    }),
  )
  t.match(
    echoed,
    [{ image: 'example/echo:1', args: ['--message={{self.image}} $$(SECRET)'] }],
    'never re-read, by us or by the kubelet',
  )
  const [echo] = typeof echoed === 'string' ? [] : echoed
  t.same(startContainer(echo ?? {}, new Map([['SECRET', 'leaked']])).args, [
    '--message={{self.image}} $(SECRET)',
  ])
})

t.test(
  'every built-in sidecar meets the restricted profile and has requests and limits',
  async (t) => {
    const all = annotatedPod({
      'patterns/sidecar': 'metrics, auth, git-sync',
      'patterns/git-sync.repo': 'https://git.example.com/site.git',
      'patterns/mode': 'classic',
    })
    const containers = injected(all, builtinCatalog)
    if (typeof containers === 'string') throw new Error(containers)
    t.equal(containers.length, 4, 'three sidecars and one init container')
    for (const c of containers) {
      t.match(
        c.securityContext,
        {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        `${c.name}: restricted`,
      )
      t.notOk(
        (c.securityContext as { capabilities?: { add?: unknown } }).capabilities?.add,
        `${c.name}: adds no capability`,
      )
      t.match(
        c.resources,
        { requests: { cpu: String, memory: String }, limits: { memory: String } },
        `${c.name}: requests and limits`,
      )
    }
  },
)
