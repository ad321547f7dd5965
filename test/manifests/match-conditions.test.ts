// No matchCondition of the rendered webhook configuration can error, for any review fixture or
// generated Pod, in any kind of namespace; and each Pod reaches at most one of our entries. The
// configuration this replaced is kept below to show that the model catches what a real cluster
// showed (issue 11): its condition read namespaceObject, which is null for webhooks.
import fc from 'fast-check'
import t from 'tap'
import { parse } from 'yaml'
import type { Attributes, Json } from '../../src/apiserver/attributes.ts'
import { loadWebhooks, shouldCall, type Webhook } from '../../src/apiserver/webhooks.ts'
import { renderedWebhookConfigurations } from '../helpers/apiserver/cluster.ts'
import { fixtureFiles, fixtureJson } from '../helpers/fixtures.ts'
import { podReviews } from '../helpers/pod-arbitraries.ts'

// Every way a namespace can be labelled for us, and one with a default it forgot to label.
const NAMESPACE_LABELS: Record<string, Record<string, string>> = {
  plain: {},
  defaults: { 'sidecar-patterns.io/defaults': 'true' },
  enforced: { 'sidecar-patterns.io/enforced': 'true', env: 'prod' },
  both: { 'sidecar-patterns.io/enforced': 'true', 'sidecar-patterns.io/defaults': 'true' },
  'enforced-false': { 'sidecar-patterns.io/enforced': 'false' },
  'defaults-false': { 'sidecar-patterns.io/defaults': 'false' },
}

// What create.go hands to admission: the request's namespace written into the object's metadata
// (rest.EnsureObjectNamespaceMatchesRequestNamespace), so a Pod under admission always has one.
function attributesOf(request: Json, namespace: string): Attributes {
  const object = structuredClone(request.object ?? null)
  if (object && request.operation !== 'DELETE') {
    object.metadata ??= {}
    object.metadata.namespace ||= namespace
  }
  return {
    resource: request.resource ?? { group: '', version: 'v1', resource: 'pods' },
    subResource: request.subResource ?? '',
    kind: request.kind ?? { group: '', version: 'v1', kind: 'Pod' },
    namespace,
    name: request.name ?? '',
    operation: request.operation ?? 'CREATE',
    object,
    oldObject: request.oldObject ?? null,
    dryRun: request.dryRun ?? false,
    userInfo: request.userInfo ?? { username: 'test' },
  }
}

/** The entries that see `request` in each kind of namespace, and the condition errors. */
function selections(webhooks: readonly Webhook[], request: Json) {
  const errors = { count: 0 }
  const seen = Object.keys(NAMESPACE_LABELS).map((namespace) => {
    const attr = attributesOf(request, namespace)
    const labels = (name: string) => ({
      ...NAMESPACE_LABELS[name],
      'kubernetes.io/metadata.name': name,
    })
    return webhooks.filter((w) => {
      const selection = shouldCall(w, attr, labels, errors)
      return selection.call || selection.why === 'rejected'
    }).length
  })
  return { errors: errors.count, mostEntries: Math.max(...seen) }
}

t.test('no condition errors for any review fixture, in any kind of namespace', async (t) => {
  const webhooks = loadWebhooks(await renderedWebhookConfigurations())
  const files = fixtureFiles('reviews')
  t.ok(files.length >= 30)
  for (const file of files) {
    const { request } = fixtureJson<{ request: Json }>('reviews', file)
    const { errors, mostEntries } = selections(webhooks, request)
    t.equal(errors, 0, `${file}: no condition error`)
    t.ok(mostEntries <= 1, `${file}: at most one of our entries`)
  }
})

t.test('no condition errors for any generated Pod, in any kind of namespace', async (t) => {
  const webhooks = loadWebhooks(await renderedWebhookConfigurations())
  fc.assert(
    fc.property(podReviews, (review) => {
      const { errors, mostEntries } = selections(webhooks, review.request)
      return errors === 0 && mostEntries <= 1
    }),
    { numRuns: 300 },
  )
  t.pass('300 generated Pods')
})

// The opt-in entry as it stood before issue 11, which a real API server accepted.
const before = parse(`
metadata: { name: sidecar-patterns }
webhooks:
  - name: opt-in.sidecar-patterns.io
    sideEffects: None
    failurePolicy: Ignore
    clientConfig: { service: { name: sidecar-patterns, namespace: sidecar-patterns, path: /mutate } }
    rules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced }]
    matchConditions:
      - name: asks-for-a-sidecar
        expression: >-
          (has(object.metadata.annotations) && 'patterns/sidecar' in object.metadata.annotations) ||
          (has(namespaceObject.metadata.annotations) && 'patterns/sidecar' in namespaceObject.metadata.annotations)
`)

t.test('the model shows what the cluster showed of the old configuration', async (t) => {
  const [optIn] = loadWebhooks([before])
  if (!optIn) throw new Error('no webhook')
  const errors = { count: 0 }
  const pod = (annotations?: Record<string, string>) =>
    attributesOf(
      {
        object: {
          metadata: { generateName: 'web-', ...(annotations && { annotations }) },
          spec: { containers: [] },
        },
      },
      'media',
    )
  const labels = () => ({})
  t.same(shouldCall(optIn, pod({ 'patterns/sidecar': 'metrics' }), labels, errors), { call: true })
  t.equal(errors.count, 0, 'a Pod that asks short-circuits the namespace part')
  t.same(
    shouldCall(optIn, pod(), labels, errors),
    { call: false, why: 'condition-error' },
    'a Pod that asks nothing errors, and Ignore skips the webhook: the default never applies',
  )
  t.equal(errors.count, 1, 'counted as apiserver_admission_match_condition_evaluation_errors_total')
})
