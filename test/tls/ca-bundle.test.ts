// patchCaBundle() against the fake API server: every webhook gets the bundle through a JSON patch
// (client-node sends the matching content type), nothing is sent when it is already there, a
// configuration that changes between the read and the patch is read again, and fields the patch
// does not touch survive, even ones client-node does not know.
import { pino } from 'pino'
import t from 'tap'
import { caBundleOperations, patchCaBundle } from '../../src/tls/ca-bundle.ts'
import { createSet } from '../../src/tls/issue.ts'
import {
  caBundles,
  calls,
  capturingLog,
  fakeCluster,
  MWC_PATH,
  names,
  webhookConfiguration,
} from './support.ts'

const log = pino({ level: 'silent' })

t.test('sets every webhook caBundle once, with a JSON patch', async (t) => {
  const fake = await fakeCluster(t)
  const { ca } = await createSet(names, new Date())
  const options = { kubeConfig: fake.kubeConfig(), caBundle: ca, log }
  t.equal(await patchCaBundle(options), true)
  t.same(caBundles(fake), [ca, ca])
  const patch = fake.requests().find((r) => r.method === 'PATCH')
  t.equal(patch?.contentType, 'application/json-patch+json')
  t.same(patch?.query, { fieldManager: 'sidecar-patterns' }, 'under its own name in managedFields')
  const before = fake.requests().length
  t.equal(await patchCaBundle(options), false, 'already set')
  t.same(calls(fake, before), [`GET ${MWC_PATH} 200`], 'read, not written')
})

t.test('reads again when the configuration changed after it was read', async (t) => {
  const fake = await fakeCluster(t)
  const { ca } = await createSet(names, new Date())
  // `kubectl apply` adds a webhook in front between our GET and our PATCH: by index, the patch
  // would now miss the last webhook.
  fake.beforeNext('PATCH', MWC_PATH, () => {
    const { webhooks } = webhookConfiguration()
    const added = { ...webhooks[0], name: 'added.sidecar-patterns.io' }
    fake.replaceMutatingWebhookConfiguration('sidecar-patterns', { webhooks: [added, ...webhooks] })
  })
  const { log, lines } = capturingLog()
  t.equal(await patchCaBundle({ kubeConfig: fake.kubeConfig(), caBundle: ca, log }), true)
  t.same(caBundles(fake), [ca, ca, ca])
  t.same(calls(fake), [
    `GET ${MWC_PATH} 200`,
    `PATCH ${MWC_PATH} 422`,
    `GET ${MWC_PATH} 200`,
    `PATCH ${MWC_PATH} 200`,
  ])
  t.match(lines, [
    { msg: 'changed while patching its caBundle; retrying' },
    { msg: 'patched the caBundle' },
  ])
})

t.test('gives up after a bounded number of changes in a row', async (t) => {
  const fake = await fakeCluster(t)
  const { ca } = await createSet(names, new Date())
  const meddle = () => {
    fake.replaceMutatingWebhookConfiguration('sidecar-patterns', webhookConfiguration())
    fake.beforeNext('PATCH', MWC_PATH, meddle)
  }
  fake.beforeNext('PATCH', MWC_PATH, meddle)
  await t.rejects(patchCaBundle({ kubeConfig: fake.kubeConfig(), caBundle: ca, log }), {
    message:
      'MutatingWebhookConfiguration sidecar-patterns: still changing under us after 5 attempts',
  })
  t.equal(fake.requests().filter((r) => r.method === 'PATCH').length, 5)
})

t.test('touches only the caBundle fields, keeping fields client-node does not model', async (t) => {
  const fake = await fakeCluster(t)
  const { webhooks } = webhookConfiguration()
  const future = webhooks.map((w) => ({ ...w, aFieldFromANewerRelease: { x: 1 } }))
  fake.replaceMutatingWebhookConfiguration('sidecar-patterns', { webhooks: future })
  const { ca } = await createSet(names, new Date())
  await patchCaBundle({ kubeConfig: fake.kubeConfig(), caBundle: ca, log })
  t.match(fake.mutatingWebhookConfiguration('sidecar-patterns'), {
    webhooks: [{ aFieldFromANewerRelease: { x: 1 } }, { aFieldFromANewerRelease: { x: 1 } }],
  })
})

t.test('a missing configuration is an error with the API status', async (t) => {
  const fake = await fakeCluster(t)
  const options = { kubeConfig: fake.kubeConfig(), name: 'absent', caBundle: 'x', log }
  await t.rejects(patchCaBundle(options), { code: 404 })
})

t.test('the operations test the resourceVersion, then add each differing caBundle', async (t) => {
  const configuration = {
    metadata: { resourceVersion: '7' },
    webhooks: [
      { name: 'a', clientConfig: { caBundle: 'Y2E=' } },
      { name: 'b', clientConfig: {} },
    ],
  } as unknown as Parameters<typeof caBundleOperations>[0]
  t.same(caBundleOperations(configuration, 'Y2E='), [
    { op: 'test', path: '/metadata/resourceVersion', value: '7' },
    { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: 'Y2E=' },
  ])
  t.same(caBundleOperations(configuration, 'Yg=='), [
    { op: 'test', path: '/metadata/resourceVersion', value: '7' },
    { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: 'Yg==' },
    { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: 'Yg==' },
  ])
  const done = { ...configuration, webhooks: configuration.webhooks?.slice(0, 1) ?? [] }
  t.same(caBundleOperations(done, 'Y2E='), [], 'nothing to do')
})
