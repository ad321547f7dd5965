// The fake API server's Secret and MutatingWebhookConfiguration endpoints answer as the real one
// does, since the certificate code's race handling depends on it: 201 on create, Status objects
// with the reasons AlreadyExists, Conflict, NotFound, Invalid and UnsupportedMediaType, JSON and
// merge patches with resourceVersion preconditions, and hooks that run between two requests.
import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import type { FakeApiServer } from '../helpers/fake-apiserver.ts'
import { fakeCluster, MWC_PATH, NAMESPACE, SECRET, SECRET_PATH, SECRETS_PATH } from './support.ts'

type Send = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  path: string,
  body?: unknown,
  contentType?: string,
) => Promise<{ status: number; json: Record<string, unknown> }>

async function setup(t: Test): Promise<{ fake: FakeApiServer; send: Send }> {
  const fake = await fakeCluster(t)
  const agent = new Agent({ connect: { ca: fake.ca } })
  t.teardown(() => agent.close())
  const send: Send = async (method, path, body, contentType = 'application/json') => {
    const res = await request(`${fake.url}${path}`, {
      method,
      dispatcher: agent,
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': contentType },
      body: body === undefined ? null : JSON.stringify(body),
    })
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> }
  }
  return { fake, send }
}

const b64 = (text: string) => Buffer.from(text).toString('base64')
const tlsSecret = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: SECRET, namespace: NAMESPACE, ...extra },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': b64('cert'), 'tls.key': b64('key') },
})
const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' }

t.test('creates a Secret once; a second create is 409 AlreadyExists', async (t) => {
  const { send } = await setup(t)
  const created = await send('POST', SECRETS_PATH, tlsSecret())
  t.equal(created.status, 201)
  t.match(created.json, {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: SECRET, namespace: NAMESPACE, resourceVersion: /^\d+$/, uid: String },
    type: 'kubernetes.io/tls',
  })
  t.same(await send('POST', SECRETS_PATH, tlsSecret()), {
    status: 409,
    json: {
      ...failure,
      message: `secrets "${SECRET}" already exists`,
      reason: 'AlreadyExists',
      details: { name: SECRET, kind: 'secrets' },
      code: 409,
    },
  })
  t.match(await send('GET', SECRET_PATH), {
    status: 200,
    json: { data: { 'tls.crt': b64('cert') } },
  })
})

t.test('replaces on the current resourceVersion; a stale one is 409 Conflict', async (t) => {
  const { send } = await setup(t)
  const created = await send('POST', SECRETS_PATH, tlsSecret())
  const rv = (created.json.metadata as { resourceVersion: string }).resourceVersion
  const replaced = await send('PUT', SECRET_PATH, tlsSecret({ resourceVersion: rv }))
  t.equal(replaced.status, 200)
  t.not((replaced.json.metadata as { resourceVersion: string }).resourceVersion, rv)
  t.same(await send('PUT', SECRET_PATH, tlsSecret({ resourceVersion: rv })), {
    status: 409,
    json: {
      ...failure,
      message: `Operation cannot be fulfilled on secrets "${SECRET}": the object has been modified; please apply your changes to the latest version and try again`,
      reason: 'Conflict',
      details: { name: SECRET, kind: 'secrets' },
      code: 409,
    },
  })
})

t.test('answers what the API server refuses with its Status', async (t) => {
  const { send } = await setup(t)
  t.match(await send('PUT', SECRET_PATH, tlsSecret()), {
    status: 404,
    json: { reason: 'NotFound', message: `secrets "${SECRET}" not found` },
  })
  const noKey = { ...tlsSecret(), data: { 'tls.crt': b64('cert') } }
  t.match(await send('POST', SECRETS_PATH, noKey), {
    status: 422,
    json: {
      reason: 'Invalid',
      message: `Secret "${SECRET}" is invalid: data[tls.key]: Required value`,
      details: { causes: [{ reason: 'FieldValueRequired', field: 'data[tls.key]' }] },
    },
  })
  const notBase64 = { ...tlsSecret(), data: { 'tls.crt': 'not base64!', 'tls.key': b64('k') } }
  t.match(await send('POST', SECRETS_PATH, notBase64), {
    status: 400,
    json: { reason: 'BadRequest' },
  })
  await send('POST', SECRETS_PATH, tlsSecret())
  t.match(await send('PUT', SECRET_PATH, { ...tlsSecret(), type: 'Opaque' }), {
    status: 422,
    json: {
      message: `Secret "${SECRET}" is invalid: type: Invalid value: "Opaque": field is immutable`,
    },
  })
  t.match(await send('PUT', SECRET_PATH, { ...tlsSecret(), metadata: { name: 'other' } }), {
    status: 400,
    json: {
      message: `the name of the object (other) does not match the name on the URL (${SECRET})`,
    },
  })
  t.match(
    await send('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/x'),
    {
      status: 404,
      json: {
        message: 'mutatingwebhookconfigurations.admissionregistration.k8s.io "x" not found',
        details: {
          name: 'x',
          group: 'admissionregistration.k8s.io',
          kind: 'mutatingwebhookconfigurations',
        },
      },
    },
  )
})

t.test('patches a webhook configuration with a JSON patch or a merge patch', async (t) => {
  const { fake, send } = await setup(t)
  const rv = fake.mutatingWebhookConfiguration('sidecar-patterns')?.metadata.resourceVersion
  const ops = [
    { op: 'test', path: '/metadata/resourceVersion', value: rv },
    { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: b64('ca') },
  ]
  const patched = await send('PATCH', MWC_PATH, ops, 'application/json-patch+json')
  t.match(patched, { status: 200, json: { kind: 'MutatingWebhookConfiguration' } })
  t.match(fake.mutatingWebhookConfiguration('sidecar-patterns'), {
    webhooks: [
      { clientConfig: { service: { name: 'sidecar-patterns' } } },
      { clientConfig: { caBundle: b64('ca') } },
    ],
  })
  t.match(
    await send('PATCH', MWC_PATH, ops, 'application/json-patch+json'),
    {
      status: 422,
      json: {
        reason: 'Invalid',
        message: 'the server rejected our request due to an error in our request',
        details: { causes: [{ reason: 'UnexpectedServerResponse' }] },
      },
    },
    'a failed test operation: the object changed since it was read',
  )
  const merge = { metadata: { resourceVersion: rv, labels: { a: 'b' } } }
  t.match(await send('PATCH', MWC_PATH, merge, 'application/merge-patch+json'), {
    status: 409,
    json: { reason: 'Conflict' },
  })
  const current = { metadata: { labels: { a: 'b' } } }
  t.match(await send('PATCH', MWC_PATH, current, 'application/merge-patch+json; charset=utf-8'), {
    status: 200,
    json: { metadata: { labels: { a: 'b' } } },
  })
  const invalidCa = [{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: '%%%' }]
  t.match(await send('PATCH', MWC_PATH, invalidCa, 'application/json-patch+json'), {
    status: 422,
    json: { details: { causes: [{ field: 'webhooks[0].clientConfig.caBundle' }] } },
  })
  t.match(await send('PATCH', MWC_PATH, current, 'application/strategic-merge-patch+json'), {
    status: 415,
    json: { reason: 'UnsupportedMediaType' },
  })
  t.match(
    await send('PATCH', SECRET_PATH, current, 'application/merge-patch+json'),
    {
      status: 405,
    },
    'Secrets take no PATCH here: the webhook never patches them',
  )
})

t.test('runs a hook between receiving a request and answering it, once', async (t) => {
  const { fake, send } = await setup(t)
  fake.beforeNext('POST', SECRETS_PATH, () => send('POST', SECRETS_PATH, tlsSecret()))
  t.match(await send('POST', SECRETS_PATH, tlsSecret()), {
    status: 409,
    json: { reason: 'AlreadyExists' },
  })
  t.same(
    fake.requests().map((r) => [r.method, r.status, r.contentType]),
    [
      ['POST', 409, 'application/json'],
      ['POST', 201, 'application/json'],
    ],
    'the first POST waited for the one its hook sent, and is recorded with its answer',
  )
})
