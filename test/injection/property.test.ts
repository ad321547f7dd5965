// Whatever Pod and annotations the API server sends, the answer is one it accepts: the uid echoed,
// a patch only with its patchType, a denial with a reason and no patch, and a patch that applies
// with an independent RFC 6902 implementation, keeps the Pod valid and the app untouched, and
// leaves nothing more to do on reinvocation, even after another injector (Istio, Linkerd, Vault,
// Dapr) added its own containers. Generated Pods are valid to begin with, so every
// violation found is one that injection caused. The generators (test/helpers/pod-arbitraries.ts)
// are shared with the same property through the HTTPS server (test/routes/fuzz.test.ts).
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { parseReview } from '../../src/admission/review.ts'
import type { AdmissionRequest } from '../../src/admission/types.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { readRequest } from '../../src/injection/request.ts'
import { outdatedSidecars } from '../../src/status/drift.ts'
import { testCatalog } from '../helpers/config.ts'
import { OTHER_INJECTORS } from '../helpers/other-injectors.ts'
import { type PodReview, podReviews } from '../helpers/pod-arbitraries.ts'
import { podViolations, unexpectedChanges } from '../helpers/pod-invariants.ts'
import { decodePatch } from '../helpers/reviews.ts'

type Checked = Parameters<typeof podViolations>[0]
const outcomes = new Map<string, number>()
// Namespaces with defaults and policies, as test/fixtures/namespaces has them.
const namespaces = new Map([
  [
    'payments',
    {
      name: 'payments',
      labels: { env: 'prod', compliance: 'pci' },
      annotations: { 'patterns/sidecar': 'auth' },
    },
  ],
  [
    'media',
    {
      name: 'media',
      labels: { env: 'staging' },
      annotations: { 'patterns/sidecar': 'metrics, tracing' },
    },
  ],
  [
    'batch',
    {
      name: 'batch',
      labels: { metering: 'strict', 'sidecar-patterns.io/defaults': 'true' },
      annotations: { 'patterns/sidecar': 'auth, git-sync', 'patterns/mode': 'classic' },
    },
  ],
])
const contextOf = (namespace: string | undefined) => ({
  catalog: testCatalog,
  namespace: namespaces.get(namespace ?? ''),
})

/** Every rule a response breaks, as sentences; empty when the response is right. */
function violations(body: PodReview): string[] {
  const original = structuredClone(body.request.object)
  const parsed = parseReview(body)
  if (!parsed.ok) return [`the generated review is not one: ${parsed.error}`]
  const context = contextOf(parsed.request.namespace)
  const { response, outcome } = admit(parsed.request, context)
  outcomes.set(outcome.result, (outcomes.get(outcome.result) ?? 0) + 1)
  const found: string[] = []
  const fail = (ok: unknown, why: string) => ok || found.push(why)
  fail(response.uid === body.request.uid, 'response.uid is not the request uid')
  fail((response.patch === undefined) === (response.patchType === undefined), 'patch iff patchType')
  fail(isDeepStrictEqual(body.request.object, original), 'admit modified the request object')
  if (!response.allowed) {
    fail(response.patch === undefined, 'a denial carries a patch')
    fail(response.status?.message, 'a denial has no message')
  }
  if (response.patch === undefined) return found

  const patch = decodePatch(response.patch)
  const pod = structuredClone(original)
  const results = applyPatch(pod, patch)
  fail(
    results.every((r) => r === null),
    `rfc6902 cannot apply the patch: ${results.join('; ')}`,
  )
  found.push(
    ...podViolations(pod as Checked),
    ...unexpectedChanges(original as Checked, pod as Checked),
  )
  const again = admit({ ...parsed.request, object: pod }, context).response
  fail(again.allowed && again.patch === undefined, `reinvocation: ${JSON.stringify(again)}`)
  // `status` reads what was just injected as current: its revisions are today's. (A claim the
  // Pod was created with and does not bear out stays, with no revision: not this one's doing.)
  const annotations = (pod as Pod).metadata?.annotations ?? {}
  const claimed = readRequest(original.metadata?.annotations ?? {}, testCatalog).injected
  const outdated = outdatedSidecars(annotations, readRequest(annotations, testCatalog), testCatalog)
  const added = outdated.filter((o) => !claimed.includes(o.sidecar))
  fail(added.length === 0, `status finds what was injected outdated: ${JSON.stringify(added)}`)
  // Another injector called after ours adds its containers and its record: called again, we
  // still have nothing to add and nothing to refuse.
  for (const [name, other] of Object.entries(OTHER_INJECTORS)) {
    const after = admit({ ...parsed.request, object: other(pod as Pod) }, context).response
    fail(after.allowed && after.patch === undefined, `after ${name}: ${JSON.stringify(after)}`)
  }
  found.push(...afterUnrecorded(parsed.request, pod as Pod, context))
  return found
}

// A webhook that leaves no record adds a container after ours: called again, we may only give it
// the app mounts the app's containers have, and a third call has nothing left to do.
function afterUnrecorded(
  request: AdmissionRequest,
  pod: Pod,
  context: ReturnType<typeof contextOf>,
): string[] {
  const agent = { name: 'unrecorded-agent', image: 'example/agent:1' }
  const later = structuredClone({
    ...pod,
    spec: { ...pod.spec, containers: [...pod.spec.containers, agent] },
  })
  const again = admit({ ...request, object: later }, context).response
  if (!again.allowed) return [`after an unrecorded container: ${JSON.stringify(again)}`]
  if (again.patch === undefined) return []
  const at = `/spec/containers/${later.spec.containers.length - 1}/volumeMounts`
  const patch = decodePatch(again.patch)
  const stray = patch.filter((op) => op.op !== 'add' || !op.path.startsWith(at))
  if (stray.length)
    return [`after an unrecorded container, more than its mounts: ${JSON.stringify(stray)}`]
  applyPatch(later, patch)
  const invalid = podViolations(later as Checked).map((v) => `after completing the mounts: ${v}`)
  const third = admit({ ...request, object: later }, context).response
  return third.allowed && third.patch === undefined
    ? invalid
    : [...invalid, `after completing the mounts: ${JSON.stringify(third)}`]
}

t.test('every review gets an answer the API server accepts', async (t) => {
  const details = fc.check(
    fc.property(podReviews, (body) => {
      const found = violations(body)
      if (found.length) throw new Error(found.join('\n'))
    }),
    { numRuns: Number(process.env.FC_RUNS ?? 2000) },
  )
  // The report gives the shrunk counterexample and its seed; the error says what it broke.
  const broken = details.errorInstance instanceof Error ? details.errorInstance.message : ''
  t.notOk(details.failed, `${fc.defaultReportMessage(details) ?? 'no counterexample'}\n${broken}`)
  if (details.failed) return
  // The generator is only worth its runs if it reaches every kind of answer.
  for (const result of ['injected', 'denied', 'skipped']) {
    t.ok((outcomes.get(result) ?? 0) >= 30, `${result}: ${outcomes.get(result) ?? 0} runs`)
  }
})
