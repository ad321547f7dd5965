// What a Pod and its namespace ask for, read from annotations that anyone who can create a Pod or
// edit a namespace writes: however long a list is, reading it costs bounded work and yields one
// problem or one warning, never one per name.
import t from 'tap'
import { INJECTED, parseList, SIDECAR } from '../../src/injection/annotations.ts'
import { readRequest } from '../../src/injection/request.ts'
import { readScope } from '../../src/injection/scope.ts'
import { builtinCatalog } from '../helpers/config.ts'

const repeated = (name: string, n: number) => Array(n).fill(name).join(',')
const distinct = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`).join(',')

// Measured on the code before the bound: 200,000 repeats answered with 200,000 warnings (11 MB),
// 20,000 distinct names took seconds of CPU.
const hostile = [
  ['200,000 repeats of one name', repeated('metrics', 200_000)],
  ['20,000 distinct names', distinct(20_000)],
  ['65 names', distinct(65)],
] as const

/** Why parseList refuses `value` (tested in annotations.test.ts); the test fails if it does not. */
const refusal = (value: string) => {
  const list = parseList(value)
  return list.ok ? 'parseList should refuse this list' : list.error
}

t.test("a Pod's list longer than any catalog is refused with one problem", async (t) => {
  for (const [what, value] of hostile) {
    for (const annotation of [SIDECAR, INJECTED]) {
      const request = readRequest({ [annotation]: value }, builtinCatalog)
      t.same(
        request.invalidFlags,
        [{ annotation, message: refusal(value) }],
        `${annotation}, ${what}: one problem`,
      )
      t.same(request.warnings, [], `${annotation}, ${what}: no warning per name`)
      t.same(request.unknownSidecars, [], `${annotation}, ${what}: no unknown name listed`)
      t.same([request.requested, request.injected], [[], []], 'nothing of it is read')
    }
  }
})

t.test('repeats within bounds are warned about once per name', async (t) => {
  const request = readRequest({ [SIDECAR]: 'metrics,auth,metrics,metrics,auth' }, builtinCatalog)
  t.same(request.requested, ['metrics', 'auth'])
  t.same(request.warnings, [
    'patterns/sidecar: "metrics" is listed more than once',
    'patterns/sidecar: "auth" is listed more than once',
  ])
})

t.test("a namespace's default longer than any catalog is ignored with one warning", async (t) => {
  for (const [what, value] of hostile) {
    const namespace = { name: 'shop', labels: {}, annotations: { [SIDECAR]: value } }
    const scope = readScope(namespace, builtinCatalog)
    t.same(scope.defaults, [], `${what}: no default`)
    t.same(
      scope.warnings,
      [`namespace shop: patterns/sidecar ${refusal(value)}; ignored`],
      `${what}: one warning`,
    )
  }
})
