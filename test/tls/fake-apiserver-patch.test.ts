// PATCH on the fake's MutatingWebhookConfiguration answers as the real API server does
// (k8s.io/apiserver pkg/endpoints/handlers/patch.go), since the caBundle code tells "the object
// changed" (409, or 422 from a failed `test`) from real failures: the Content-Types the route
// consumes, JSON and merge patches, resourceVersion preconditions, and the Status of each refusal.
import t, { type Test } from 'tap'
import { fakeClient } from '../helpers/fake-apiserver-client.ts'
import { fakeCluster, MWC_PATH, SECRET_PATH } from './support.ts'

const JSON_PATCH = 'application/json-patch+json'
const MERGE_PATCH = 'application/merge-patch+json'

async function setup(t: Test) {
  const fake = await fakeCluster(t)
  const client = fakeClient(t, fake)
  const patch = (body: unknown, contentType: string, path = MWC_PATH) =>
    client.json('PATCH', path, { body, contentType })
  const rv = () => fake.mutatingWebhookConfiguration('sidecar-patterns')?.metadata.resourceVersion
  return { fake, patch, rv }
}

const b64 = (text: string) => Buffer.from(text).toString('base64')
const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' } as const
const MWC = 'mutatingwebhookconfigurations.admissionregistration.k8s.io'
const mwcDetails = {
  name: 'sidecar-patterns',
  group: 'admissionregistration.k8s.io',
  kind: 'mutatingwebhookconfigurations',
}

t.test('applies a JSON patch whose test holds; a failed test is a bare 422', async (t) => {
  const { fake, patch, rv } = await setup(t)
  const ops = [
    { op: 'test', path: '/metadata/resourceVersion', value: rv() },
    { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: b64('ca') },
  ]
  t.match(await patch(ops, JSON_PATCH), {
    status: 200,
    json: { kind: 'MutatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1' },
  })
  t.match(fake.mutatingWebhookConfiguration('sidecar-patterns'), {
    webhooks: [
      { clientConfig: { service: { name: 'sidecar-patterns' } } },
      { clientConfig: { caBundle: b64('ca') } },
    ],
  })
  t.same(
    await patch(ops, JSON_PATCH),
    {
      status: 422,
      json: {
        ...failure,
        message: 'the server rejected our request due to an error in our request',
        reason: 'Invalid',
        details: {},
        code: 422,
      },
    },
    'NewGenericServerResponse(422): nothing says which operation failed',
  )
  const missingParent = [{ op: 'add', path: '/webhooks/7/clientConfig/caBundle', value: b64('ca') }]
  t.match(await patch(missingParent, JSON_PATCH), { status: 422, json: { details: {} } })
})

t.test('a merge patch with a stale resourceVersion is 409 Conflict', async (t) => {
  const { patch, rv } = await setup(t)
  const stale = rv()
  t.match(await patch({ metadata: { labels: { a: 'b' } } }, `${MERGE_PATCH}; charset=utf-8`), {
    status: 200,
    json: { metadata: { labels: { a: 'b' } } },
  })
  t.same(await patch({ metadata: { resourceVersion: stale } }, MERGE_PATCH), {
    status: 409,
    json: {
      ...failure,
      message: `Operation cannot be fulfilled on ${MWC} "sidecar-patterns": the object has been modified; please apply your changes to the latest version and try again`,
      reason: 'Conflict',
      details: mwcDetails,
      code: 409,
    },
  })
  const message = `${MWC} "sidecar-patterns" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`
  t.same(
    await patch({ metadata: { resourceVersion: null } }, MERGE_PATCH),
    {
      status: 422,
      json: {
        ...failure,
        message,
        reason: 'Invalid',
        details: {
          ...mwcDetails,
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: 'Invalid value: 0: must be specified for an update',
              field: 'metadata.resourceVersion',
            },
          ],
        },
        code: 422,
      },
    },
    'no unconditional update for webhook configurations',
  )
})

t.test('a caBundle that does not decode fails the patched object as a whole', async (t) => {
  const { patch } = await setup(t)
  const answer = await patch(
    [{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: '%%%' }],
    JSON_PATCH,
  )
  t.match(answer, {
    status: 422,
    json: {
      ...failure,
      message: /^ "" is invalid: patch: Invalid value: ".*": illegal base64 data at input byte 0$/,
      reason: 'Invalid',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'patch' }] },
    },
  })
  t.same(Object.keys((answer.json as { details: object }).details), ['causes'], 'no kind, no name')
})

t.test('refuses patches as the route and jsonPatcher do', async (t) => {
  const { patch } = await setup(t)
  const merge = { metadata: { labels: { a: 'b' } } }
  t.same(await patch(merge, 'text/plain'), {
    status: 415,
    json: {
      ...failure,
      message: '415: Unsupported Media Type',
      reason: 'UnsupportedMediaType',
      details: {},
      code: 415,
    },
  })
  t.same(await patch('{"op": ', JSON_PATCH), {
    status: 400,
    json: { ...failure, message: 'invalid JSON patch', reason: 'BadRequest', code: 400 },
  })
  t.same(await patch(merge, JSON_PATCH), {
    status: 400,
    json: {
      ...failure,
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
      reason: 'BadRequest',
      code: 400,
    },
  })
  t.same(
    await patch(
      [],
      JSON_PATCH,
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/x',
    ),
    {
      status: 404,
      json: {
        ...failure,
        message: `${MWC} "x" not found`,
        reason: 'NotFound',
        details: { ...mwcDetails, name: 'x' },
        code: 404,
      },
    },
  )
})

t.test('answers 501 for patches the real server takes and the fake does not', async (t) => {
  const { patch } = await setup(t)
  const merge = { metadata: { labels: { a: 'b' } } }
  t.match(
    await patch(merge, 'application/apply-patch+yaml'),
    { status: 501, json: { reason: 'NotImplemented' } },
    'server-side apply',
  )
  const withList = { webhooks: [{ name: 'x' }] }
  t.match(
    await patch(withList, 'application/strategic-merge-patch+json'),
    { status: 501, json: { reason: 'NotImplemented' } },
    'a strategic merge patch with a list, which would merge by patchMergeKey',
  )
  t.match(
    await patch(merge, MERGE_PATCH, SECRET_PATH),
    { status: 501 },
    'Secrets take PATCH on a real server; the webhook never sends one',
  )
})

t.test('a cluster-scoped object loses the namespace a patch gives it', async (t) => {
  const { fake, patch } = await setup(t)
  t.equal((await patch({ metadata: { namespace: 'x' } }, MERGE_PATCH)).status, 200)
  t.notOk(fake.mutatingWebhookConfiguration('sidecar-patterns')?.metadata.namespace)
})
