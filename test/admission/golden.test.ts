// Every AdmissionReview in test/fixtures/reviews is answered as its golden file says; every
// patch applies with an independent RFC 6902 implementation (rfc6902), gives the golden Pod,
// keeps the Pod valid and the app as it was, and a second review of the result changes nothing.
// A NAME.response.json or NAME.pod.json that no fixture produces any more fails the run.
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { parseReview } from '../../src/admission/review.ts'
import { testCatalog } from '../helpers/config.ts'
import { fixtureFiles, fixtureJson, fixtureNamespaces } from '../helpers/fixtures.ts'
import { checkOrphanGoldens, matchGolden } from '../helpers/golden.ts'
import { podViolations, unexpectedChanges } from '../helpers/pod-invariants.ts'
import { decodePatch } from '../helpers/reviews.ts'

const golden = new URL('../golden/', import.meta.url)

// The Namespace objects in fixtures/namespaces stand for what the API has about each namespace.
const namespaces = fixtureNamespaces()
const namespaceFacts = (name: string | undefined) => namespaces.find((n) => n.name === name)

const files = fixtureFiles('reviews')
t.ok(files.length >= 20, 'the fixture folder holds the review corpus')

for (const file of files) {
  const name = file.replace(/\.json$/, '')
  t.test(name, async (t) => {
    const review = fixtureJson<{ request: { uid: string; object: never } }>('reviews', file)
    const parsed = parseReview(review)
    if (!parsed.ok) throw new Error(parsed.error)
    const context = { catalog: testCatalog, namespace: namespaceFacts(parsed.request.namespace) }
    const { response } = admit(parsed.request, context)
    t.equal(response.uid, review.request.uid, 'echoes the request uid')
    t.equal(response.patch === undefined, response.patchType === undefined, 'patch iff patchType')

    const { patch: _, ...rest } = response
    const patch = response.patch ? decodePatch(response.patch) : null
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
