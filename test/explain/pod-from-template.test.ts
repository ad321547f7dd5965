// The Pod a controller makes of a template (GetPodFromTemplate): what the webhook is sent.
import t from 'tap'
import { podFromTemplate } from '../../src/explain/pod-from-template.ts'

const template = {
  metadata: { labels: { app: 'web' }, annotations: { 'patterns/sidecar': 'metrics' } },
  spec: { containers: [{ name: 'web' }] },
}

t.test('labels, annotations and spec of the template; a name from the parent', async (t) => {
  const holder = {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: { name: 'web-5d8f9c', uid: 'u1' },
  }
  t.same(podFromTemplate(template, holder, 'shop'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-5d8f9c-',
      namespace: 'shop',
      labels: { app: 'web' },
      annotations: { 'patterns/sidecar': 'metrics' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-5d8f9c',
          uid: 'u1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: template.spec,
  })
})

t.test('a StatefulSet names its first Pod; a Deployment’s owner is not known yet', async (t) => {
  t.match(podFromTemplate(template, { kind: 'StatefulSet', metadata: { name: 'db' } }, 'shop'), {
    metadata: { name: 'db-0' },
  })
  const pod = podFromTemplate(template, { kind: 'Deployment', metadata: { name: 'web' } }, 'shop')
  t.match(pod, { metadata: { generateName: 'web-' } })
  t.notOk('ownerReferences' in (pod as { metadata: object }).metadata)
})

t.test('a template without metadata still makes a Pod with metadata', async (t) => {
  const pod = podFromTemplate(
    { spec: {} },
    { kind: 'DaemonSet', metadata: { name: 'agent' } },
    'ops',
  )
  t.match(pod, { metadata: { generateName: 'agent-', namespace: 'ops' } })
})
