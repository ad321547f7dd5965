// changedObject: the plain object a document holds once changes are made, whose paths name the
// object as it was (as uninject writes them), so that the Services beside an uninjected Pod
// template can be checked against the Pod as uninject leaves it.
import t from 'tap'
import { changedObject } from '../../src/offline/yaml-change.ts'

t.test('paths name the object as it was, whatever else goes', async (t) => {
  const items = Array.from({ length: 12 }, (_, i) => ({ name: `c${i}` }))
  const object = { spec: { containers: items }, metadata: { annotations: { a: '1', b: '2' } } }
  const changed = changedObject(object, [
    { op: 'delete', path: ['spec', 'containers', 1] },
    { op: 'set', path: ['spec', 'containers', 2, 'name'], value: 'renamed' },
    { op: 'delete', path: ['spec', 'containers', 9] },
    { op: 'delete', path: ['spec', 'containers', 10] },
    { op: 'delete', path: ['metadata', 'annotations', 'a'] },
    { op: 'append', path: ['spec', 'containers'], value: { name: 'added' } },
  ])
  t.same(changed, {
    spec: {
      containers: [
        { name: 'c0' },
        { name: 'renamed' },
        ...[3, 4, 5, 6, 7, 8, 11].map((i) => ({ name: `c${i}` })),
        { name: 'added' },
      ],
    },
    metadata: { annotations: { b: '2' } },
  })
  t.equal(object.spec.containers.length, 12, 'the object itself is left as it was')
  t.equal(object.spec.containers[2]?.name, 'c2')
})

t.test('an item inside one that goes, and the one itself', async (t) => {
  const object = { list: [{ mounts: ['a', 'b', 'c'] }, { mounts: ['d'] }] }
  const changed = changedObject(object, [
    { op: 'delete', path: ['list', 0, 'mounts', 2] },
    { op: 'delete', path: ['list', 0, 'mounts', 0] },
    { op: 'delete', path: ['list', 1] },
  ])
  t.same(changed, { list: [{ mounts: ['b'] }] })
})
