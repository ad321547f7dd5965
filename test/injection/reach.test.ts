// A namespace's default or policy that its labels keep from the webhook is found and explained.
import t from 'tap'
import { unreachable } from '../../src/injection/reach.ts'
import { catalogFrom } from '../helpers/config.ts'

const catalog = catalogFrom({
  name: 'policies.yaml',
  text: 'policies:\n  - { name: prod-metering, namespaceSelector: { matchLabels: { env: prod } }, required: [metrics] }\n',
})
const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
  name: 'media',
  labels: { 'kubernetes.io/metadata.name': 'media', ...labels },
  annotations,
})
const DEFAULT = { 'patterns/sidecar': 'metrics' }

t.test('each row: labels and annotations -> problems', async (t) => {
  const rows: [Record<string, string>, Record<string, string>, string[]][] = [
    [{}, {}, []],
    [{}, DEFAULT, ['defaults-unlabelled']],
    [{}, { 'patterns/sidecar': ' , ' }, []],
    [{ 'sidecar-patterns.io/defaults': 'true' }, DEFAULT, []],
    [{ 'sidecar-patterns.io/defaults': 'yes' }, DEFAULT, ['defaults-unlabelled']],
    [{ 'sidecar-patterns.io/enforced': 'true' }, DEFAULT, []],
    [{ env: 'prod' }, {}, ['policy-unlabelled']],
    [{ env: 'prod', 'sidecar-patterns.io/defaults': 'true' }, DEFAULT, ['policy-unlabelled']],
    [{ env: 'prod', 'sidecar-patterns.io/enforced': 'true' }, DEFAULT, []],
    [{ env: 'prod' }, DEFAULT, ['defaults-unlabelled', 'policy-unlabelled']],
  ]
  for (const [labels, annotations, expected] of rows)
    t.same(
      unreachable(ns(labels, annotations), catalog).map((u) => u.problem),
      expected,
      JSON.stringify({ labels, annotations }),
    )
})

// Read at every scrape for every namespace: a list too long to read is no default, as readScope
// reads it, at a cost that does not grow with its length.
t.test('a default too long to be a list of sidecars is no default', async (t) => {
  const huge = { 'patterns/sidecar': Array(200_000).fill('metrics').join(',') }
  t.same(unreachable(ns({}, huge), catalog), [])
})

t.test('the messages say what to label', async (t) => {
  t.same(
    unreachable(ns({ env: 'prod' }, DEFAULT), catalog).map((u) => u.message),
    [
      'namespace media: its patterns/sidecar default reaches only Pods that ask for a sidecar themselves; label it sidecar-patterns.io/defaults=true',
      'namespace media: policy prod-metering cannot be enforced here: without the label sidecar-patterns.io/enforced=true the API server sends only some Pods, and none while the webhook is down',
    ],
  )
})
