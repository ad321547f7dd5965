// test/golden/ holds only files a test writes: each file belongs to one owner in GOLDEN_OWNERS
// (which checks that its cases claim it), every test that writes goldens is an owner, and
// `npm run golden:update` refreshes every owner.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { GOLDEN_OWNERS, goldenFiles, removeOrFail } from './helpers/golden.ts'

const root = new URL('../', import.meta.url)
const owners = Object.keys(GOLDEN_OWNERS)

t.test('every golden file has an owner', async (t) => {
  const patterns = Object.values(GOLDEN_OWNERS)
  const unowned = goldenFiles().filter((file) => !patterns.some((p) => p.test(file)))
  removeOrFail(
    t,
    unowned,
    'no test writes files named like it (GOLDEN_OWNERS, test/helpers/golden.ts)',
  )
})

t.test('every test that writes golden files is an owner', async (t) => {
  const self = 'test/golden-files.test.ts'
  const writers = readdirSync(new URL('test/', root), { recursive: true, encoding: 'utf8' })
    .map((file) => `test/${file}`)
    .filter((file) => file.endsWith('.test.ts') && file !== self)
    .filter((file) => /\bmatchGolden(Text)?\(/.test(readFileSync(new URL(file, root), 'utf8')))
    .sort()
  t.same(writers, [...owners].sort())
})

t.test('npm run golden:update refreshes every owner and removes unowned files', async (t) => {
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
  const [env, runner, ...files] = String(scripts['golden:update']).split(' ')
  t.same([env, runner], ['REFRESH_GOLDEN=1', 'tap'])
  t.same(files.sort(), [...owners, 'test/golden-files.test.ts'].sort())
})
