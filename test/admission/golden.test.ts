// Every AdmissionReview in test/fixtures/reviews is answered as its golden file says; every
// patch applies with an independent RFC 6902 implementation (rfc6902), gives the golden Pod,
// keeps the Pod valid and the app as it was, and a second review of the result changes nothing.
// A NAME.response.json or NAME.pod.json that no fixture produces any more fails the run.
import { existsSync, readdirSync } from 'node:fs'
import { applyPatch, type Operation } from 'rfc6902'
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { parseReview } from '../../src/admission/review.ts'
import type { AdmissionResponse } from '../../src/admission/types.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { testCatalog } from '../helpers/config.ts'
import { checkOrphanGoldens, matchGolden, readJson } from '../helpers/golden.ts'
import { podViolations, unexpectedChanges } from '../helpers/pod-invariants.ts'

const fixtures = new URL('../fixtures/reviews/', import.meta.url)
const golden = new URL('../golden/', import.meta.url)

// The Namespace objects in fixtures/namespaces stand for what the API has about each namespace.
function namespaceFacts(name: string | undefined): NamespaceFacts | undefined {
  const url = new URL(`../fixtures/namespaces/${name}.json`, import.meta.url)
  if (name === undefined || !existsSync(url)) return undefined
  const { metadata } = readJson<{ metadata: NamespaceFacts }>(url)
  return { name, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} }
}

function decodePatch(response: AdmissionResponse): Operation[] | null {
  return response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : null
}

const files = readdirSync(fixtures).filter((f) => f.endsWith('.json'))
t.ok(files.length >= 20, 'the fixture folder holds the review corpus')

for (const file of files.sort()) {
  const name = file.replace(/\.json$/, '')
  t.test(name, async (t) => {
    const review = readJson<{ request: { uid: string; object: never } }>(new URL(file, fixtures))
    const parsed = parseReview(review)
    if (!parsed.ok) throw new Error(parsed.error)
    const context = { catalog: testCatalog, namespace: namespaceFacts(parsed.request.namespace) }
    const { response } = admit(parsed.request, context)
    t.equal(response.uid, review.request.uid, 'echoes the request uid')
    t.equal(response.patch === undefined, response.patchType === undefined, 'patch iff patchType')

    const { patch: _, ...rest } = response
    const patch = decodePatch(response)
    matchGolden(t, new URL(`${name}.response.json`, golden), { ...rest, patch })
    if (patch === null) return

    const pod = structuredClone(review.request.object)
    t.same(
      applyPatch(pod, patch),
      patch.map(() => null),
      'the patch applies with rfc6902',
    )
    matchGolden(t, new URL(`${name}.pod.json`, golden), pod)
    t.same(podViolations(pod), [], 'the patched Pod is one the API server accepts')
    t.same(unexpectedChanges(review.request.object, pod), [], 'only injection changed the Pod')

    const again = admit({ ...parsed.request, object: pod }, context).response
    t.same([again.allowed, again.patch], [true, undefined], 'reinvocation changes nothing')
  })
}

checkOrphanGoldens(t, import.meta.url)
