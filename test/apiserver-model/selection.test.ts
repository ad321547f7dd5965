// The model's selection rules, each pinned to the API server's source it restates
// (test/helpers/apiserver): label selectors, rules, matchConditions and their failure policy.
import t from 'tap'
import {
  type Attributes,
  type Json,
  podCreate as podCreateBy,
} from '../../src/apiserver/attributes.ts'
import { selects } from '../../src/apiserver/label-selector.ts'
import { compileMatchConditions } from '../../src/apiserver/match-conditions.ts'
import { ruleMatches } from '../../src/apiserver/rules.ts'
import { loadWebhooks, shouldCall } from '../../src/apiserver/webhooks.ts'

const podCreate = (object: Json, overrides: Partial<Attributes> = {}): Attributes => ({
  ...podCreateBy('shop', object, { userInfo: { username: 'alice' } }),
  ...overrides,
})
const pod = (annotations?: Record<string, string>) => ({
  metadata: { namespace: 'shop', generateName: 'web-', ...(annotations && { annotations }) },
  spec: { containers: [{ name: 'web', image: 'web:1' }] },
})

t.test('label selectors: labels.Selector semantics', async (t) => {
  const rows: [Json, Record<string, string> | undefined, boolean][] = [
    [{}, undefined, true],
    [{ matchLabels: { env: 'prod' } }, { env: 'prod' }, true],
    [{ matchLabels: { env: 'prod' } }, { env: 'dev' }, false],
    [{ matchLabels: { env: 'prod' } }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }] }, { a: 'y' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, { a: 'x' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, { a: '' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { a: '' }, false],
    [
      { matchLabels: { b: '1' }, matchExpressions: [{ key: 'a', operator: 'Exists' }] },
      { a: 'x' },
      false,
    ],
  ]
  for (const [selector, labels, expected] of rows)
    t.equal(
      selects(selector, labels),
      expected,
      `${JSON.stringify(selector)} ${JSON.stringify(labels)}`,
    )
  t.throws(() => selects({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, {}))
  t.throws(() =>
    selects({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, {}),
  )
})

t.test('rules: scope, operations, groups, versions, resources and subresources', async (t) => {
  const rule = { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }
  const attr = podCreate(pod())
  t.ok(ruleMatches(rule, attr))
  t.ok(ruleMatches({ ...rule, scope: 'Namespaced' }, attr))
  t.notOk(ruleMatches({ ...rule, scope: 'Cluster' }, attr))
  t.notOk(ruleMatches(rule, { ...attr, operation: 'UPDATE' }))
  t.ok(ruleMatches({ ...rule, operations: ['*'] }, { ...attr, operation: 'UPDATE' }))
  t.notOk(ruleMatches(rule, { ...attr, subResource: 'status' }), '"pods" is not "pods/status"')
  t.ok(ruleMatches({ ...rule, resources: ['pods/*'] }, { ...attr, subResource: 'status' }))
  // rules.go: the "*" after the slash matches any subresource, the empty one too.
  t.ok(ruleMatches({ ...rule, resources: ['pods/*'] }, attr), '"pods/*" matches "pods" itself')
  t.ok(ruleMatches({ ...rule, resources: ['*'] }, attr))
  t.notOk(ruleMatches({ ...rule, apiGroups: ['apps'] }, attr))
})

t.test('matchConditions: false wins over errors; errors go to the failure policy', async (t) => {
  const errs = { name: 'errs', expression: 'namespaceObject.metadata.name == "shop"' }
  const no = { name: 'no', expression: 'false' }
  const yes = { name: 'yes', expression: 'true' }
  t.same(compileMatchConditions([errs, no])(podCreate(pod())), {
    matches: false,
    failedCondition: 'no',
  })
  t.match(compileMatchConditions([errs, yes])(podCreate(pod())), {
    matches: false,
    errors: [/^errs: /],
  })
  t.same(compileMatchConditions([yes])(podCreate(pod())), { matches: true })
})

t.test('matchConditions see exactly what the API server binds for webhooks', async (t) => {
  const run = (expression: string, attr = podCreate(pod())) =>
    compileMatchConditions([{ name: 'c', expression }])(attr)
  t.same(run('oldObject == null'), { matches: true }, 'no old object on CREATE')
  t.same(run("request.namespace == 'shop' && request.operation == 'CREATE'"), { matches: true })
  t.same(run("request.userInfo.username == 'alice' && !has(request.name)"), { matches: true })
  t.same(run("request.resource.resource == 'pods' && request.kind.kind == 'Pod'"), {
    matches: true,
  })
  t.same(run("object.metadata.generateName == 'web-'"), { matches: true })
  t.match(
    run('namespaceObject.metadata.name == "shop"'),
    { errors: [/./] },
    'namespaceObject is null',
  )
  t.match(run('params.x == 1'), { errors: [/./] }, 'no params for webhooks')
  t.match(
    run('object.metadata.annotations["x"] == "y"'),
    { errors: [/./] },
    'a missing key is an error',
  )
  const ports = pod()
  Object.assign(ports.spec.containers[0] as Json, { ports: [{ containerPort: 8080 }] })
  t.same(
    run('object.spec.containers[0].ports[0].containerPort == 8080', podCreate(ports)),
    { matches: true },
    'integers are ints',
  )
})

const configuration = (webhook: Json) => ({
  metadata: { name: 'c' },
  webhooks: [
    {
      name: 'w.example.com',
      sideEffects: 'None',
      clientConfig: { url: 'https://w.example.com' },
      rules: [
        { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
      ],
      ...webhook,
    },
  ],
})

t.test(
  'ShouldCallHook: defaults, selectors in order, and condition errors by policy',
  async (t) => {
    const [defaulted] = loadWebhooks([configuration({})])
    t.match(defaulted, {
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
      reinvocationPolicy: 'Never',
      namespaceSelector: {},
      objectSelector: {},
    })
    const labels = (name: string) => (name === 'shop' ? { team: 'web' } : null)
    const errors = { count: 0 }
    const call = (webhook: Json, attr = podCreate(pod())) => {
      const [hook] = loadWebhooks([configuration(webhook)])
      if (!hook) throw new Error('no webhook')
      return shouldCall(hook, attr, labels, errors)
    }
    t.same(call({}), { call: true })
    t.same(call({ namespaceSelector: { matchLabels: { team: 'db' } } }), {
      call: false,
      why: 'namespace',
    })
    t.same(call({ objectSelector: { matchLabels: { app: 'web' } } }), {
      call: false,
      why: 'object',
    })
    t.match(
      call(
        { namespaceSelector: { matchLabels: { team: 'web' } } },
        podCreate(pod(), { namespace: 'gone' }),
      ),
      { call: false, why: 'rejected', status: { code: 404 } },
      'a missing namespace is a 404 once the rules match',
    )
    const failing = [{ name: 'ns', expression: "'a' in namespaceObject.metadata.labels" }]
    t.match(call({ matchConditions: failing }), {
      why: 'rejected',
      status: { code: 403, reason: 'Forbidden' },
    })
    t.same(call({ matchConditions: failing, failurePolicy: 'Ignore' }), {
      call: false,
      why: 'condition-error',
    })
    t.equal(errors.count, 2, 'each error is counted')
    t.same(
      call({ namespaceSelector: { matchLabels: { team: 'db' } }, matchConditions: failing }),
      { call: false, why: 'namespace' },
      'selectors come first',
    )
  },
)
