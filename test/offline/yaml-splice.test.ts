// Changes to YAML as splices of its text: what a change does not touch keeps its bytes; new keys
// and items go after the last of their collection in the file's style; deleting what was added
// gives the original back.
import t from 'tap'
import { parseDocument } from 'yaml'
import { type Change, SpliceError } from '../../src/offline/yaml-change.ts'
import { applySplices, splicesFor } from '../../src/offline/yaml-splice.ts'

function edit(text: string, changes: Change[]): string {
  return applySplices(text, splicesFor(text, parseDocument(text), changes))
}

t.test(
  'a new key goes after the last value of its map, before comments that trail it',
  async (t) => {
    const text = 'spec:\n  a: 1 # one\n  b: |\n    two\n  # about spec\nnext: 3\n'
    const added = edit(text, [{ op: 'set', path: ['spec', 'c'], value: { d: [1, 2] } }])
    t.equal(
      added,
      'spec:\n  a: 1 # one\n  b: |\n    two\n  c:\n    d:\n      - 1\n      - 2\n  # about spec\nnext: 3\n',
    )
    t.equal(
      edit(added, [{ op: 'delete', path: ['spec', 'c'] }]),
      text,
      'and its removal is the inverse',
    )
  },
)

t.test("new lines follow the file's indentation, list style and line breaks", async (t) => {
  const text = 'a:\r\n  b:\r\n  - x\r\n  c: 1'
  const added = edit(text, [
    { op: 'append', path: ['a', 'b'], value: { n: [1] } },
    { op: 'set', path: ['a', 'd'], value: 'new' },
  ])
  t.equal(added, 'a:\r\n  b:\r\n  - x\r\n  - n:\r\n    - 1\r\n  c: 1\r\n  d: new')
  t.equal(
    edit(added, [
      { op: 'delete', path: ['a', 'b', 1] },
      { op: 'delete', path: ['a', 'd'] },
    ]),
    text,
  )
})

t.test('an indentation of four is kept', async (t) => {
  const text = 'a:\n    b:\n        - x\n'
  t.equal(
    edit(text, [{ op: 'set', path: ['a', 'c'], value: { d: [1] } }]),
    'a:\n    b:\n        - x\n    c:\n        d:\n            - 1\n',
  )
})

t.test('flow collections stay flow, with their separators', async (t) => {
  const text = 'm: { a: 1 }\ne: {}\nl: [x]\nn: []\n'
  const added = edit(text, [
    { op: 'set', path: ['m', 'b'], value: 'x, y' },
    { op: 'set', path: ['e', 'k'], value: 1 },
    { op: 'set', path: ['e', 'j'], value: 2 },
    { op: 'append', path: ['l'], value: { name: 'y' } },
    { op: 'append', path: ['n'], value: 1 },
    { op: 'append', path: ['n'], value: 2 },
  ])
  t.equal(added, 'm: { a: 1, b: "x, y" }\ne: {k: 1, j: 2}\nl: [x, { name: y }]\nn: [1, 2]\n')
  const removed = edit(added, [
    { op: 'delete', path: ['m', 'b'] },
    { op: 'delete', path: ['e', 'k'] },
    { op: 'delete', path: ['e', 'j'] },
    { op: 'delete', path: ['l', 1] },
    { op: 'delete', path: ['n', 0] },
    { op: 'delete', path: ['n', 1] },
  ])
  t.equal(removed, text, 'a user-written empty flow collection under a block key stays')
})

t.test('a replaced scalar keeps its quoting where the value allows it', async (t) => {
  const text = 'a: x # note\nb: \'y\'\nc: "z"\nd: {e: f}\nempty:\n'
  t.equal(
    edit(text, [
      { op: 'set', path: ['a'], value: 'x2' },
      { op: 'set', path: ['b'], value: 'y,2' },
      { op: 'set', path: ['c'], value: 15080 },
      { op: 'set', path: ['d', 'e'], value: 'f,g' },
      { op: 'set', path: ['empty'], value: 'now' },
    ]),
    'a: x2 # note\nb: \'y,2\'\nc: 15080\nd: {e: "f,g"}\nempty: now\n',
  )
  t.equal(
    edit('a:\n  b: 1\n', [{ op: 'set', path: ['a'], value: { c: 2 } }]),
    'a:\n  c: 2\n',
    'a block value is rewritten after its key',
  )
})

t.test('deleting every item of a block collection deletes the key that holds it', async (t) => {
  const text = 'spec:\n  keep: 1\n  list:\n  - a\n  - b\n'
  t.equal(
    edit(text, [
      { op: 'delete', path: ['spec', 'list', 1] },
      { op: 'delete', path: ['spec', 'list', 0] },
    ]),
    'spec:\n  keep: 1\n',
  )
})

t.test('what cannot be spliced is refused, not rewritten', async (t) => {
  const aliased = 'base: &c [a]\nlist: *c\n'
  t.throws(() => edit(aliased, [{ op: 'append', path: ['list'], value: 'b' }]), SpliceError)
  t.throws(
    () => edit('- a: 1\n  b: 2\n', [{ op: 'delete', path: [0, 'a'] }]),
    SpliceError,
    'a key that shares its line with "- "',
  )
  t.throws(
    () =>
      applySplices('abc', [
        { start: 0, end: 2, text: '' },
        { start: 1, end: 3, text: '' },
      ]),
    SpliceError,
  )
})

t.test('a scalar replaced keeps its quoting, or takes that of the scalar it is like', async (t) => {
  const text = "name: 'http-app'\nport: 8080\nflow: {port: 8080}\nlist: [8080]\n"
  const like = ['name']
  t.equal(
    edit(text, [
      { op: 'set', path: ['name'], value: 'http' },
      { op: 'set', path: ['port'], value: 'http', like },
      { op: 'set', path: ['flow', 'port'], value: 'http', like },
      { op: 'set', path: ['list', 0], value: 'http', like },
    ]),
    "name: 'http'\nport: 'http'\nflow: {port: 'http'}\nlist: ['http']\n",
  )
  t.equal(
    edit(text, [{ op: 'set', path: ['port'], value: 'http', like: ['missing'] }]),
    "name: 'http-app'\nport: http\nflow: {port: 8080}\nlist: [8080]\n",
    'a model that is not there: the quoting it had',
  )
})
