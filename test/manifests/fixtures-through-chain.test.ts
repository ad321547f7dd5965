// Every Pod of the review corpus (test/fixtures/reviews), created in its namespace
// (test/fixtures/namespaces) through the model of the API server configured by the rendered
// manifests: it is admitted exactly when its golden answer allows it, with the containers of its
// golden Pod, and so passes defaulting, reinvocation and validation as the API server runs them.
import t from 'tap'
import type { Json } from '../../src/apiserver/attributes.ts'
import { costLabeller } from '../helpers/apiserver/answers.ts'
import { modelCluster } from '../helpers/apiserver/cluster.ts'
import { testCatalog } from '../helpers/config.ts'
import { fixtureFiles, fixtureJson, fixtureNamespaces } from '../helpers/fixtures.ts'
import { readJson } from '../helpers/golden.ts'

const golden = new URL('../golden/', import.meta.url)

const names = (pod: Json): string[] =>
  [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c: Json) => c.name)

t.test('the review corpus through the admission chain', async (t) => {
  // A later webhook edits every Pod, so each injected Pod is reviewed again as the API server
  // would: with defaults filled in and a new uid.
  const others = [costLabeller('zz-cost-labels', 'cost.example.com')]
  const { api } = await modelCluster(t, { catalog: () => testCatalog, others })
  api.putNamespace('shop')
  for (const { name, labels, annotations } of fixtureNamespaces())
    api.putNamespace(name, { labels, annotations })
  let created = 0
  for (const file of fixtureFiles('reviews')) {
    const { request } = fixtureJson<Json>('reviews', file)
    if (request.kind.kind !== 'Pod' || request.operation !== 'CREATE' || request.subResource)
      continue
    const name = file.replace(/\.json$/, '')
    const expected = readJson<Json>(new URL(`${name}.response.json`, golden))
    const result = await api.createPod(request.namespace, request.object, {
      user: request.userInfo,
      dryRun: request.dryRun ?? false,
    })
    if (!expected.allowed) {
      t.equal(result.code, expected.status.code, `${name}: refused with the golden's code`)
      continue
    }
    t.equal(result.code, 201, `${name}: created (${result.status?.message ?? 'ok'})`)
    const goldenPod = expected.patch
      ? readJson<Json>(new URL(`${name}.pod.json`, golden))
      : request.object
    t.same(names(result.pod), names(goldenPod), `${name}: the golden Pod's containers`)
    t.notOk(
      result.calls.some((c) => c.round === 1 && c.changed),
      `${name}: a reinvocation changes nothing`,
    )
    t.equal(result.matchConditionErrors, 0, `${name}: no condition error`)
    created++
  }
  t.ok(created >= 25, `${created} Pods created`)
})
