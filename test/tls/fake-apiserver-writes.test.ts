// The fake API server's Secret writes answer as the real one does, since the certificate code's
// race handling depends on it: 201 on create, Status bodies of k8s.io/apimachinery
// pkg/api/errors (AlreadyExists, Conflict, NotFound, Invalid, BadRequest), the order in which
// the API server checks a write, the Content-Types it takes, and hooks that run between two
// requests. PATCH is in fake-apiserver-patch.test.ts.
import t, { type Test } from 'tap'
import { fakeClient, type SendOptions } from '../helpers/fake-apiserver-client.ts'
import { fakeCluster, NAMESPACE, SECRET, SECRET_PATH, SECRETS_PATH } from './support.ts'

async function setup(t: Test) {
  const fake = await fakeCluster(t)
  const client = fakeClient(t, fake)
  const send = (method: string, path: string, body?: unknown, options: SendOptions = {}) =>
    client.json(method, path, { body, contentType: 'application/json', ...options })
  return { fake, send }
}

const b64 = (text: string) => Buffer.from(text).toString('base64')
const tlsSecret = (metadata: Record<string, unknown> = {}, data?: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: SECRET, namespace: NAMESPACE, ...metadata },
  type: 'kubernetes.io/tls',
  data: data ?? { 'tls.crt': b64('cert'), 'tls.key': b64('key') },
})
const failure = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' } as const
const rvOf = (json: unknown) =>
  (json as { metadata: { resourceVersion: string } }).metadata.resourceVersion

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
  const rv = rvOf((await send('POST', SECRETS_PATH, tlsSecret())).json)
  const replaced = await send('PUT', SECRET_PATH, tlsSecret({ resourceVersion: rv }))
  t.equal(replaced.status, 200)
  t.not(rvOf(replaced.json), rv)
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
  t.match(
    await send('PUT', SECRET_PATH, tlsSecret()),
    { status: 200 },
    'a Secret without resourceVersion is replaced unconditionally (AllowUnconditionalUpdate)',
  )
})

t.test('a missing Secret is 404 NotFound to a PUT', async (t) => {
  const { send } = await setup(t)
  t.same(await send('PUT', SECRET_PATH, tlsSecret()), {
    status: 404,
    json: {
      ...failure,
      message: `secrets "${SECRET}" not found`,
      reason: 'NotFound',
      details: { name: SECRET, kind: 'secrets' },
      code: 404,
    },
  })
})

t.test('answers validation with errors.NewInvalid, before AlreadyExists on create', async (t) => {
  const { send } = await setup(t)
  await send('POST', SECRETS_PATH, tlsSecret())
  t.same(await send('POST', SECRETS_PATH, tlsSecret({}, { 'tls.crt': b64('cert') })), {
    status: 422,
    json: {
      ...failure,
      message: `Secret "${SECRET}" is invalid: data[tls.key]: Required value`,
      reason: 'Invalid',
      details: {
        name: SECRET,
        kind: 'Secret',
        causes: [
          { reason: 'FieldValueRequired', message: 'Required value', field: 'data[tls.key]' },
        ],
      },
      code: 422,
    },
  })
  const nameless = { ...tlsSecret(), metadata: { namespace: NAMESPACE } }
  t.same(await send('POST', SECRETS_PATH, nameless), {
    status: 422,
    json: {
      ...failure,
      message:
        'Secret "" is invalid: metadata.name: Required value: name or generateName is required',
      reason: 'Invalid',
      details: {
        kind: 'Secret',
        causes: [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: name or generateName is required',
            field: 'metadata.name',
          },
        ],
      },
      code: 422,
    },
  })
})

t.test('lists every problem of an update, the immutable type first', async (t) => {
  const { send } = await setup(t)
  await send('POST', SECRETS_PATH, tlsSecret())
  const opaque = { ...tlsSecret({}, { 'bad key': b64('x'), '..x': b64('y') }), type: 'Opaque' }
  const keyRule =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
  const answer = await send('PUT', SECRET_PATH, opaque)
  t.equal(answer.status, 422)
  t.equal(
    (answer.json as { message: string }).message,
    `Secret "${SECRET}" is invalid: [type: Invalid value: "Opaque": field is immutable, data[bad key]: Invalid value: "bad key": ${keyRule}, data[..x]: Invalid value: "..x": must not start with '..']`,
  )
})

t.test('refuses data that is not base64 as Go decodes []byte, before anything else', async (t) => {
  const { send } = await setup(t)
  const refused = (value: unknown) =>
    send('POST', SECRETS_PATH, tlsSecret({}, { 'tls.crt': value, 'tls.key': b64('k') }))
  const message = (error: string) => ({
    status: 400,
    json: {
      ...failure,
      message: `Secret in version "v1" cannot be handled as a Secret: ${error}`,
      reason: 'BadRequest',
      code: 400,
    },
  })
  // The offsets kubectl users see: a plain value, a character outside the alphabet, padding.
  t.same(await refused('admin'), message('illegal base64 data at input byte 4'))
  t.same(await refused('not base64!'), message('illegal base64 data at input byte 3'))
  t.same(await refused('YWJj='), message('illegal base64 data at input byte 4'))
  t.same(await refused('YQ=x'), message('illegal base64 data at input byte 2'))
  t.same(
    await refused(42),
    message('json: cannot unmarshal number into Go struct field Secret.data of type []uint8'),
  )
  t.match(
    await send('POST', SECRETS_PATH, tlsSecret({}, { 'tls.crt': 'YQ==\nYmM=' })),
    { status: 400, json: { message: /input byte 5$/ } },
    'trailing data after padding',
  )
  t.match(
    await send('POST', SECRETS_PATH, tlsSecret({}, { 'tls.crt': 'YW\r\nJj', 'tls.key': '' })),
    { status: 201 },
    'newlines are skipped; an empty value is empty bytes',
  )
  t.match(
    await send('PUT', `${SECRETS_PATH}/missing`, tlsSecret({ name: 'missing' }, { a: 'admin' })),
    { status: 400 },
    'decoding comes before the lookup that would answer 404',
  )
})

t.test('checks the namespace, then the name, against the URL', async (t) => {
  const { fake, send } = await setup(t)
  t.match(await send('POST', SECRETS_PATH, tlsSecret({ namespace: 'other' })), {
    status: 400,
    json: {
      reason: 'BadRequest',
      message:
        'the namespace of the provided object does not match the namespace sent on the request',
    },
  })
  const { namespace: _, ...unplaced } = tlsSecret().metadata
  t.match(
    await send('POST', SECRETS_PATH, { ...tlsSecret(), metadata: unplaced }),
    { status: 201, json: { metadata: { namespace: NAMESPACE } } },
    "an object without a namespace takes the request's",
  )
  t.match(await send('PUT', SECRET_PATH, tlsSecret({ name: 'other' })), {
    status: 400,
    json: {
      message: `the name of the object (other) does not match the name on the URL (${SECRET})`,
    },
  })
  t.ok(fake.secret(NAMESPACE, SECRET))
})

t.test('takes JSON bodies, refuses unknown media types with the accepted ones', async (t) => {
  const { send } = await setup(t)
  t.same(await send('POST', SECRETS_PATH, tlsSecret(), { contentType: 'text/plain' }), {
    status: 415,
    json: {
      ...failure,
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      reason: 'UnsupportedMediaType',
      code: 415,
    },
  })
  t.match(await send('POST', SECRETS_PATH, 'kind: Secret', { contentType: 'application/yaml' }), {
    status: 501,
    json: { reason: 'NotImplemented' },
  })
  t.match(
    await send('POST', SECRETS_PATH, tlsSecret(), {
      contentType: 'Application/JSON; charset=utf-8',
    }),
    { status: 201 },
  )
  t.match(
    await send('PUT', SECRET_PATH, tlsSecret(), { contentType: undefined }),
    { status: 200 },
    'no Content-Type is JSON',
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
