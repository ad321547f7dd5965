// Container and volume names must be unique in a Pod, so every name a sidecar claims comes from
// one allocator per Pod that knows the names already there and every name it handed out.
import t from 'tap'
import { nameAllocator } from '../../src/injection/names.ts'

t.test('a free base name is used as it is', async (t) => {
  const name = nameAllocator(['web'])
  t.equal(name('patterns-metrics'), 'patterns-metrics')
})

t.test('a taken name gets -2, then -3, ...', async (t) => {
  const name = nameAllocator(['patterns-git-sync'])
  t.equal(name('patterns-git-sync'), 'patterns-git-sync-2')
  t.equal(name('patterns-git-sync'), 'patterns-git-sync-3')
  t.equal(name('patterns-git-sync'), 'patterns-git-sync-4')
})

t.test('suffixes skip names that are taken too', async (t) => {
  const name = nameAllocator(['x', 'x-2', 'x-4'])
  t.equal(name('x'), 'x-3')
  t.equal(name('x'), 'x-5', 'x-4 was taken from the start')
})

t.test('a name handed out is taken for every later call', async (t) => {
  const name = nameAllocator([])
  t.equal(name('a'), 'a')
  t.equal(name('a'), 'a-2')
  // "a-2" is now taken, so asking for it as a base gets its own suffix.
  t.equal(name('a-2'), 'a-2-2')
})

t.test('a suffixed base can collide with another base’s suffix', async (t) => {
  // git-sync claims patterns-git-sync and patterns-git-sync-init; neither may steal the other.
  const name = nameAllocator(['patterns-git-sync', 'patterns-git-sync-init'])
  t.equal(name('patterns-git-sync'), 'patterns-git-sync-2')
  t.equal(name('patterns-git-sync-init'), 'patterns-git-sync-init-2')
})

t.test('the taken names are copied, not shared', async (t) => {
  const taken = new Set(['a'])
  const name = nameAllocator(taken)
  name('b')
  t.same([...taken], ['a'], 'the caller’s set is left alone')
  t.equal(nameAllocator(taken)('b'), 'b', 'a second allocator starts from the caller’s set')
})

t.test('any iterable of taken names works', async (t) => {
  function* names() {
    yield 'a'
    yield 'a-2'
  }
  t.equal(nameAllocator(names())('a'), 'a-3')
})

t.test('never hands out the same name twice', async (t) => {
  const taken = ['m', 'm-3', 'n-2', 'm-2-2']
  const name = nameAllocator(taken)
  const bases = ['m', 'n', 'm-2', 'm', 'n', 'n-2', 'm', 'm-2', 'n', 'm']
  const handed = bases.map(name)
  t.equal(new Set(handed).size, handed.length, `all distinct: ${handed.join(' ')}`)
  t.notOk(
    handed.some((n) => taken.includes(n)),
    'none of them was taken already',
  )
  t.ok(
    handed.every((n, i) => n === bases[i] || n.startsWith(`${bases[i]}-`)),
    'each starts from its base',
  )
})
