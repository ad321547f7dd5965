// namespaceFacts: what the webhook reads of a Namespace object, the same from the informer, from
// a cluster read by explain, and from a file for inject.
import t from 'tap'
import { namespaceFacts } from '../../src/injection/scope.ts'

t.test('a frozen copy of the labels and annotations, and the resourceVersion if any', async (t) => {
  const labels = { env: 'prod' }
  const facts = namespaceFacts('shop', { resourceVersion: '42', labels, annotations: undefined })
  t.same(facts, { name: 'shop', resourceVersion: '42', labels: { env: 'prod' }, annotations: {} })
  t.ok(
    Object.isFrozen(facts) && Object.isFrozen(facts.labels) && Object.isFrozen(facts.annotations),
  )
  labels.env = 'dev'
  t.equal(facts.labels.env, 'prod', 'a copy: the object it was read from may change')
  t.same(namespaceFacts('blog'), { name: 'blog', labels: {}, annotations: {} }, 'no metadata')
  t.notOk('resourceVersion' in namespaceFacts('blog', { labels }), 'none where none was given')
})
