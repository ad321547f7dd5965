// One rule for route templates, which the meter checks in its flags and the webhook in a Pod's
// patterns/metrics.routes.
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import { decide } from '../../src/injection/decide.ts'
import { inject } from '../../src/injection/mutate.ts'
import { parseMeterArgs } from '../../src/meter/config.ts'
import {
  checkRoute,
  MAX_ROUTES,
  MAX_ROUTES_LENGTH,
  parseRoutes,
} from '../../src/shared/route-templates.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { startContainer } from '../helpers/kubelet-expansion.ts'
import { annotatedPod } from '../helpers/reviews.ts'

const templates = ['/api/users/:id', '/api/users/:id/orders/:order', '/static/*', '/', '/health']

t.test('templates are checked', async (t) => {
  for (const good of templates) t.equal(checkRoute(good), undefined, good)
  const bad: [string, RegExp][] = [
    ['api', /must start with \//],
    ['/a//b', /\/\//],
    ['/*/a', /only have \* as its last/],
    ['/:', /not :name/],
    ['/:a-b', /not :name/],
    ['/a b', /characters/],
    ['/a?b', /characters/],
    ['/a*', /characters/],
    ['/a,b', /characters/],
    [`/${'a'.repeat(250)}`, /longer than 200/],
  ]
  for (const [template, problem] of bad) t.match(checkRoute(template), problem, template)
})

t.test('lists of templates: bounded, without repeats, every problem at once', async (t) => {
  t.same(parseRoutes(['/a, /b/:id,', ' ,/c']), { ok: true, routes: ['/a', '/b/:id', '/c'] })
  t.same(parseRoutes([]), { ok: true, routes: [] })
  t.same(parseRoutes(['/a,api,/a', '/:1']), {
    ok: false,
    errors: [
      '"api" must start with /',
      '"/a" is given twice',
      '"/:1" has a parameter ":1" that is not :name (letters, digits, _)',
    ],
  })
  const routes = (n: number) => Array.from({ length: n }, (_, i) => `/r${i}`)
  t.same(parseRoutes(routes(MAX_ROUTES)), { ok: true, routes: routes(MAX_ROUTES) })
  t.same(parseRoutes(routes(MAX_ROUTES + 1)), {
    ok: false,
    errors: [`at most ${MAX_ROUTES} routes, got ${MAX_ROUTES + 1}`],
  })
  // Counted before the list is split, blanks included: one message, whatever the size.
  const long = `/a${' '.repeat(MAX_ROUTES_LENGTH)}`
  t.same(parseRoutes([long]), {
    ok: false,
    errors: [`at most ${MAX_ROUTES_LENGTH} characters of templates, got ${long.length}`],
  })
  const problem = parseRoutes([`/${'a b'.repeat(1000)}`])
  t.ok(!problem.ok && problem.errors.join('').length < 200, 'a template is quoted short')
})

// The webhook checks patterns/metrics.routes and the meter its --route flags: a list the one
// accepts and the other refuses is a Pod admitted with a meter that exits at start (status 2),
// or a Pod refused for nothing. Whatever the list, both decide alike, and what the webhook
// injects is what the meter runs with.
const REQUIRED = ['--listen', '0.0.0.0:15080', '--upstream', 'http://127.0.0.1:8080']
/** The routes the meter runs with, or undefined if it refuses its arguments. */
const meterRoutes = (args: readonly string[]) => {
  const parsed = parseMeterArgs(args)
  return parsed.ok === true ? parsed.value.routes : undefined
}
const meterAlone = (routes: string) =>
  meterRoutes([...REQUIRED, '--metrics-port', '15090', '--route', routes])

/** The meter's arguments as it starts in the Pod the webhook makes, or undefined if it refuses it. */
function injectedMeterArgs(routes: string): string[] | undefined {
  const pod = annotatedPod({ 'patterns/sidecar': 'metrics', 'patterns/metrics.routes': routes })
  const decision = decide(pod, builtinCatalog)
  if (decision.action !== 'inject') return undefined
  const { spec } = inject(pod, decision.plan)
  const meter = [...(spec.initContainers ?? []), ...spec.containers].find(
    (c) => c.name === 'patterns-metrics',
  )
  if (!meter) throw new Error('the metrics sidecar is injected')
  // The meter reads its arguments as the kubelet passes them, after $(VAR) expansion.
  const [command, ...args] = startContainer(meter, new Map()).args
  if (command !== 'meter') throw new Error('the metrics sidecar runs the meter')
  return args
}

const valid = (i: number) => `/r${i}/:id`
const piece = fc.oneof(
  fc.constantFrom('/', '/a', '/api/users/:id', '/static/*', '/a/*', '/health', '/v1.0/(x)'),
  fc.constantFrom('', ' ', 'api', '/a//b', '/:1', '/*/a', '/a b', '/a?b', '/a,b', '/é'),
  fc.integer({ min: 195, max: 205 }).map((n) => `/${'a'.repeat(n)}`),
  fc.webPath(),
  fc.string({ maxLength: 12 }),
)
const separator = fc.constantFrom(',', ', ', ' ,', ',,', ' , ')
const joined = (items: string[], separators: string[]) =>
  items.map((item, i) => (i === 0 ? item : `${separators[i % separators.length]}${item}`)).join('')
const lists = fc.oneof(
  // Any mix of good and bad templates, repeats likely.
  fc
    .tuple(fc.array(piece, { maxLength: 12 }), fc.array(separator, { minLength: 1 }))
    .map(([items, separators]) => joined(items, separators)),
  // Around the most templates a list may hold, sometimes with one repeated.
  fc
    .tuple(fc.integer({ min: 95, max: 105 }), fc.boolean(), fc.array(separator, { minLength: 1 }))
    .map(([n, repeat, separators]) => {
      const items = Array.from({ length: n }, (_, i) => valid(i))
      return joined(repeat ? [...items, valid(0)] : items, separators)
    }),
  // Around the longest list: long templates, and blanks that count too.
  fc
    .tuple(fc.integer({ min: 15, max: 25 }), fc.integer({ min: 0, max: 400 }))
    .map(([n, blanks]) => {
      const items = Array.from({ length: n }, (_, i) => `/${String(i).padStart(190, 'a')}`)
      return `${items.join(',')}${' '.repeat(blanks)},/last`
    }),
)

t.test('property: the webhook admits a routes list iff the meter accepts it', async (t) => {
  fc.assert(
    fc.property(lists, (routes) => {
      // The webhook trims every parameter value; the meter, every template.
      const accepted = meterAlone(routes.trim())
      const args = injectedMeterArgs(routes)
      if (args === undefined) return accepted === undefined
      return accepted !== undefined && isDeepStrictEqual(meterRoutes(args), accepted)
    }),
    // A `$` the kubelet would expand, found once by the generator, always tried.
    { numRuns: 400, examples: [['/$'], ['/$(KUBERNETES_PORT)'], ['/a$$b']] },
  )
  t.pass('400 lists')
})

t.test('the lists reported as accepted by one and refused by the other', async (t) => {
  const hundred = Array.from({ length: 100 }, (_, i) => valid(i))
  for (const routes of ['/a,/a', [...hundred, '/one-more'].join(','), hundred.join(',')]) {
    const accepted = meterAlone(routes) !== undefined
    t.equal(injectedMeterArgs(routes) !== undefined, accepted, routes.slice(0, 40))
  }
})
