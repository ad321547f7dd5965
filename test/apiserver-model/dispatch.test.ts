// The model's mutating chain (test/helpers/apiserver/dispatch.ts) against in-process webhooks:
// reinvocation, failure policies, response checks, patch application and defaulting, each as
// k8s.io/apiserver's mutating dispatcher does it.
import t from 'tap'
import { type Attributes, type Json, podCreate } from '../../src/apiserver/attributes.ts'
import { loadWebhooks } from '../../src/apiserver/webhooks.ts'
import { answer, patched } from '../helpers/apiserver/answers.ts'
import type { Transport } from '../helpers/apiserver/call.ts'
import { runMutatingChain } from '../helpers/apiserver/dispatch.ts'

type Handler = (review: Json) => Json | 'refuse' | { status: number }

function chain(hooks: { name: string; handler: Handler; webhook?: Json }[]) {
  const configurations = hooks.map(({ name, webhook }) => ({
    metadata: { name },
    webhooks: [
      {
        name: `${name}.example.com`,
        sideEffects: 'None',
        clientConfig: { url: `https://${name}.example.com` },
        rules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
        ],
        ...webhook,
      },
    ],
  }))
  const handlers = new Map(hooks.map((h) => [h.name, h.handler]))
  const transport: Transport = async (webhook, review) => {
    const answer = handlers.get(webhook.configuration)?.(review)
    if (answer === 'refuse') throw new Error('connection refused')
    if (answer && 'status' in answer && typeof answer.status === 'number')
      return { status: answer.status, body: '' }
    return { status: 200, body: JSON.stringify(answer) }
  }
  const webhooks = loadWebhooks(configurations)
  return (attr: Partial<Attributes> = {}) =>
    runMutatingChain({ webhooks, transport, namespaceLabels: () => ({}) }, { ...create, ...attr })
}

const create = podCreate(
  'shop',
  {
    metadata: { namespace: 'shop', generateName: 'web-', labels: {} },
    spec: { containers: [{ name: 'web', image: 'web:1' }] },
  },
  { userInfo: { username: 'alice' } },
)

// Adds a label once: a second call finds it and answers without a patch.
const labelOnce =
  (key: string): Handler =>
  (review) =>
    key in review.request.object.metadata.labels
      ? answer(review)
      : patched(review, [{ op: 'add', path: `/metadata/labels/${key}`, value: 'x' }])

t.test('a change by a later webhook reinvokes earlier IfNeeded webhooks, once', async (t) => {
  const run = chain([
    { name: 'a', handler: labelOnce('a'), webhook: { reinvocationPolicy: 'IfNeeded' } },
    { name: 'b', handler: labelOnce('b'), webhook: { reinvocationPolicy: 'Never' } },
    { name: 'c', handler: labelOnce('c'), webhook: { reinvocationPolicy: 'IfNeeded' } },
  ])
  const result = await run()
  t.same(
    result.calls.map((c) => [c.webhook, c.round, c.changed]),
    [
      ['a.example.com', 0, true],
      ['b.example.com', 0, true],
      ['c.example.com', 0, true],
      ['a.example.com', 1, false],
    ],
    'c changed the object last, so nothing after it asks to reinvoke c',
  )
  t.match(result.outcome, {
    allowed: true,
    object: { metadata: { labels: { a: 'x', b: 'x', c: 'x' } } },
  })
})

t.test('a webhook skipped in the first round is not called in the second', async (t) => {
  const run = chain([
    {
      name: 'a',
      handler: labelOnce('a'),
      webhook: {
        reinvocationPolicy: 'IfNeeded',
        matchConditions: [{ name: 'labelled-b', expression: "'b' in object.metadata.labels" }],
      },
    },
    { name: 'b', handler: labelOnce('b') },
  ])
  const result = await run()
  t.same(
    result.calls.map((c) => c.webhook),
    ['b.example.com'],
  )
})

t.test('failures: Ignore skips a failed call, Fail refuses; a denial always refuses', async (t) => {
  const ignored = await chain([
    { name: 'a', handler: () => 'refuse', webhook: { failurePolicy: 'Ignore' } },
  ])()
  t.same([ignored.outcome.allowed, ignored.failedOpen], [true, ['a.example.com']])
  const failed = await chain([{ name: 'a', handler: () => 'refuse' }])()
  t.match(failed.outcome, { allowed: false, status: { code: 500, reason: 'InternalError' } })
  const http500 = await chain([
    { name: 'a', handler: () => ({ status: 500 }), webhook: { failurePolicy: 'Ignore' } },
  ])()
  t.equal(http500.outcome.allowed, true, 'an HTTP error is a failed call')
  const denied = await chain([
    {
      name: 'a',
      handler: (review) => answer(review, { allowed: false, status: { code: 422, message: 'no' } }),
      webhook: { failurePolicy: 'Ignore' },
    },
  ])()
  t.match(denied.outcome, {
    allowed: false,
    status: { code: 422, message: 'admission webhook "a.example.com" denied the request: no' },
  })
  const bare = await chain([
    { name: 'a', handler: (review) => answer(review, { allowed: false }) },
  ])()
  t.match(bare.outcome, {
    status: {
      code: 400,
      message: 'admission webhook "a.example.com" denied the request without explanation',
    },
  })
})

t.test('an answer the API server cannot use is a failed call', async (t) => {
  const bad: Handler[] = [
    (review) => ({ ...answer(review), response: { ...answer(review).response, uid: 'other' } }),
    (review) => ({ ...answer(review), apiVersion: 'admission.k8s.io/v1beta1' }),
    (review) => answer(review, { patch: 'W10=' }),
    (review) => answer(review, { patchType: 'JSONPatch' }),
    (review) =>
      answer(review, { patchType: 'JSONPatch', patch: Buffer.from('{').toString('base64') }),
  ]
  for (const handler of bad) {
    const result = await chain([{ name: 'a', handler }])()
    t.match(result.outcome, {
      allowed: false,
      status: { code: 500, message: /invalid webhook response|undecodable/ },
    })
  }
})

t.test('a patch that does not apply refuses the request whatever the failure policy', async (t) => {
  const run = chain([
    {
      name: 'a',
      handler: (review) =>
        patched(review, [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }]),
      webhook: { failurePolicy: 'Ignore' },
    },
  ])
  t.match((await run()).outcome, {
    allowed: false,
    status: { code: 500, message: /does not apply/ },
  })
})

t.test('a patched object is defaulted, as a later webhook will see it', async (t) => {
  const sidecar = { name: 'side', image: 'side:latest', ports: [{ containerPort: 9 }] }
  const run = chain([
    {
      name: 'a',
      handler: (review) =>
        patched(review, [{ op: 'add', path: '/spec/containers/-', value: sidecar }]),
    },
  ])
  const result = await run()
  t.match(result.outcome, {
    allowed: true,
    object: {
      spec: {
        containers: [
          {},
          {
            imagePullPolicy: 'Always',
            terminationMessagePath: '/dev/termination-log',
            ports: [{ protocol: 'TCP' }],
          },
        ],
      },
    },
  })
})

t.test('dry runs reach only webhooks without side effects', async (t) => {
  const some = await chain([
    { name: 'a', handler: (review) => answer(review), webhook: { sideEffects: 'Some' } },
  ])({ dryRun: true })
  t.match(some.outcome, {
    allowed: false,
    status: { code: 400, message: 'admission webhook "a.example.com" does not support dry run' },
  })
  const none = await chain([{ name: 'a', handler: (review) => answer(review) }])({ dryRun: true })
  t.same([none.outcome.allowed, none.calls.length], [true, 1])
})
