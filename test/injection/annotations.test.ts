// How annotation keys and values are read: lists are forgiving about blanks and whitespace but
// report repeats, refuse more names than a catalog can hold, parameter keys split at the first
// dot only, and stray keys are told apart from parameters so that typos warn instead of silently
// doing nothing.
import t from 'tap'
import {
  INJECT,
  INJECTED,
  isStrayKey,
  MAX_LIST_LENGTH,
  MAX_LIST_NAMES,
  paramAnnotation,
  paramsBySidecar,
  parseList,
  SIDECAR,
} from '../../src/injection/annotations.ts'
import { MAX_SIDECARS } from '../../src/injection/catalog.ts'

t.test('the annotation keys users write', async (t) => {
  t.same([SIDECAR, INJECT, INJECTED], ['patterns/sidecar', 'patterns/inject', 'patterns/injected'])
  t.equal(paramAnnotation('git-sync', 'repo'), 'patterns/git-sync.repo')
})

t.test('parseList', async (t) => {
  const cases: [string | undefined, string[], string[], string][] = [
    [undefined, [], [], 'an absent annotation is an empty list'],
    ['', [], [], 'an empty value is an empty list'],
    [' , ,, ', [], [], 'only blanks and commas is an empty list'],
    ['metrics', ['metrics'], [], 'one name'],
    ['metrics,auth', ['metrics', 'auth'], [], 'keeps the order written'],
    ['auth,metrics', ['auth', 'metrics'], [], 'in any order'],
    ['  metrics ,\tauth\n', ['metrics', 'auth'], [], 'trims spaces, tabs and newlines'],
    [',metrics,,auth,', ['metrics', 'auth'], [], 'skips empty items'],
    ['metrics,metrics', ['metrics'], ['metrics'], 'a repeat is kept once and reported'],
    ['a,b,a,a,b', ['a', 'b'], ['a', 'b'], 'each repeated name is reported once'],
    ['metrics, metrics ', ['metrics'], ['metrics'], 'repeats are compared after trimming'],
    ['Metrics,metrics', ['Metrics', 'metrics'], [], 'names are case-sensitive'],
    ['git sync', ['git sync'], [], 'inner spaces are part of the name'],
  ]
  for (const [value, names, repeated, why] of cases) {
    t.same(parseList(value), { ok: true, names, repeated }, why)
  }
})

// A list longer than any catalog could use costs one message, and the same small, constant work
// whatever its size: a Pod cannot make the webhook spend seconds, or answer megabytes, for it.
t.test('parseList refuses more names than a catalog can hold, with one message', async (t) => {
  const names = (n: number, name = (i: number) => `s${i}`) =>
    Array.from({ length: n }, (_, i) => name(i)).join(',')
  t.equal(MAX_LIST_NAMES, MAX_SIDECARS, 'as many names as a catalog holds sidecars')
  t.match(parseList(names(MAX_LIST_NAMES)), { ok: true }, `${MAX_LIST_NAMES} names are read`)
  t.same(parseList(names(MAX_LIST_NAMES + 1)), {
    ok: false,
    error: `lists ${MAX_LIST_NAMES + 1} names; a catalog holds at most ${MAX_LIST_NAMES} sidecars`,
  })
  t.same(
    parseList(names(MAX_LIST_NAMES + 1, () => 'metrics')),
    parseList(names(MAX_LIST_NAMES + 1)),
    'repeats count: refused once, not warned about one by one',
  )
  const long = `metrics,${' '.repeat(MAX_LIST_LENGTH)}`
  t.same(parseList(long), {
    ok: false,
    error: `is longer than ${MAX_LIST_LENGTH} characters, more than any list of sidecar names`,
  })
  for (const huge of [names(200_000, () => 'metrics'), names(20_000)]) {
    const parsed = parseList(huge)
    t.equal(parsed.ok, false, `${huge.length} characters are refused`)
    if (!parsed.ok) t.ok(parsed.error.length < 100, 'in one short message')
  }
})

t.test('paramsBySidecar', async (t) => {
  const read = (annotations: Record<string, string>) =>
    Object.fromEntries(
      [...paramsBySidecar(annotations)].map(([sidecar, params]) => [
        sidecar,
        Object.fromEntries(params),
      ]),
    )

  t.same(read({}), {}, 'no annotations, no parameters')
  t.same(
    read({
      'patterns/git-sync.repo': 'https://example.org/r.git',
      'patterns/git-sync.ref': 'main',
      'patterns/metrics.port': '8080',
    }),
    { 'git-sync': { repo: 'https://example.org/r.git', ref: 'main' }, metrics: { port: '8080' } },
    'groups parameters by sidecar',
  )
  t.same(
    read({ 'patterns/metrics.port.extra': '1', 'patterns/auth.a.b.c': '2' }),
    { metrics: { 'port.extra': '1' }, auth: { 'a.b.c': '2' } },
    'splits at the first dot only: the rest, dots included, is the parameter name',
  )
  t.same(
    read({ 'patterns/metrics.port': ' 8080 ' }),
    { metrics: { port: ' 8080 ' } },
    'values are raw; trimming is the validators’ business',
  )
  t.same(
    read({
      [SIDECAR]: 'metrics',
      [INJECT]: 'true',
      [INJECTED]: 'metrics',
      'patterns/typo': 'x',
      'example.com/metrics.port': '1',
      'app.kubernetes.io/name': 'web',
      'xpatterns/metrics.port': '1',
      'patterns/.port': '1',
      'patterns/metrics.': '1',
    }),
    {},
    'ignores keys without a dot, keys outside patterns/ and keys with an empty part',
  )
  t.same(
    read({ 'patterns/unknown.x': '1' }),
    { unknown: { x: '1' } },
    'keeps sidecars the catalog does not know: request.ts warns about them',
  )
})

t.test('isStrayKey', async (t) => {
  const cases: [string, boolean, string][] = [
    [SIDECAR, false, 'patterns/sidecar is known'],
    [INJECT, false, 'patterns/inject is known'],
    [INJECTED, false, 'patterns/injected is known'],
    ['patterns/metrics.port', false, 'a parameter is not stray'],
    ['patterns/nope.x', false, 'a parameter of an unknown sidecar is warned about elsewhere'],
    ['patterns/sidecars', true, 'a misspelt known key'],
    ['patterns/Sidecar', true, 'keys are case-sensitive'],
    ['patterns/metrics', true, 'a sidecar name without a parameter'],
    ['patterns/', true, 'the bare prefix'],
    ['example.com/sidecar', false, 'other prefixes are not ours'],
    ['app.kubernetes.io/name', false, 'well-known labels-as-annotations are not ours'],
    ['sidecar', false, 'no prefix at all'],
  ]
  for (const [key, stray, why] of cases) t.equal(isStrayKey(key), stray, `${key}: ${why}`)
})

// A key with a dot but an empty sidecar or parameter name is not a parameter, so it is stray.
t.test('keys with an empty sidecar or parameter name are stray', async (t) => {
  for (const key of ['patterns/.repo', 'patterns/git-sync.', 'patterns/a/b.c']) {
    t.equal(paramsBySidecar({ [key]: 'x' }).size, 0, `${key} is no parameter`)
    t.equal(isStrayKey(key), true, `${key} is stray`)
  }
})
