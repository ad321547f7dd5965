// Every parameter value is bounded before its validator reads it: no parameter of any type takes a
// value longer than MAX_VALUE_LENGTH, and the refusal quotes it short.
import t from 'tap'
import { MAX_VALUE_LENGTH, resolveParams } from '../../src/injection/params.ts'
import { MAX_ROUTES_LENGTH } from '../../src/shared/route-templates.ts'
import { builtinCatalog, testCatalog } from '../helpers/config.ts'

// Shapes each type accepts, made as long as wanted; anything else is refused by its shape anyway.
const longValues = (n: number) => [
  `https://git.example.org/${'a'.repeat(n)}`,
  `http://localhost:8080/${'a'.repeat(n)}`,
  `/${'a'.repeat(n)}`,
  `/${'a/'.repeat(n / 2)}x`,
  'a'.repeat(n),
  `/${Array.from({ length: n / 8 }, (_, i) => `r${i}`).join(',/')}`,
]

const everyParam = [builtinCatalog, testCatalog].flatMap((catalog) =>
  [...catalog.sidecars.values()].flatMap((sidecar) =>
    Object.keys(sidecar.params).map((param) => ({ sidecar, param })),
  ),
)

t.test('no parameter of any sidecar takes a value longer than MAX_VALUE_LENGTH', async (t) => {
  for (const { sidecar, param } of everyParam) {
    for (const value of longValues(MAX_VALUE_LENGTH + 1)) {
      const resolved = resolveParams(sidecar.name, sidecar.params, new Map([[param, value]]))
      const problem = resolved.ok ? undefined : resolved.problems.at(-1)?.message
      t.ok(problem && problem.length < 200, `${sidecar.name}.${param}: refused, in short`)
    }
  }
})

t.test('the bound is measured after trimming, and leaves room for every type', async (t) => {
  const [sidecar] = builtinCatalog.sidecars.values()
  if (!sidecar) throw new Error('no sidecar')
  const blanks = ` ${' '.repeat(MAX_VALUE_LENGTH)}8080 `
  t.match(resolveParams(sidecar.name, sidecar.params, new Map([['port', blanks]])), { ok: true })
  t.ok(MAX_VALUE_LENGTH >= MAX_ROUTES_LENGTH, 'the longest routes list the meter takes')
  t.same(resolveParams(sidecar.name, sidecar.params, new Map([['port', 'x'.repeat(5000)]])), {
    ok: false,
    problems: [
      {
        annotation: `patterns/${sidecar.name}.port`,
        message: `"${'x'.repeat(61)}..." is longer than ${MAX_VALUE_LENGTH} characters`,
      },
    ],
  })
})
