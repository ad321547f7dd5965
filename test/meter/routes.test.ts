// The route label comes only from configured templates, whatever path a client sends.
import fc from 'fast-check'
import t from 'tap'
import { compileRoutes, OTHER_ROUTE } from '../../src/meter/routes.ts'

const templates = ['/api/users/:id', '/api/users/:id/orders/:order', '/static/*', '/', '/health']

t.test(
  'the first template that matches names the route; the query is not part of the path',
  async (t) => {
    const route = compileRoutes(templates)
    const cases: [string, string][] = [
      ['/api/users/42', '/api/users/:id'],
      ['/api/users/42?expand=orders', '/api/users/:id'],
      ['/api/users/42/orders/7', '/api/users/:id/orders/:order'],
      ['/api/users/', OTHER_ROUTE], // a parameter is one non-empty segment
      ['/api/users/42/', OTHER_ROUTE], // no trailing slash in the template
      ['/static', '/static/*'],
      ['/static/', '/static/*'],
      ['/static/css/site.css', '/static/*'],
      ['/staticfile', OTHER_ROUTE],
      ['/', '/'],
      ['/?q=1', '/'],
      ['/health', '/health'],
      ['/Health', OTHER_ROUTE],
    ]
    for (const [target, label] of cases) t.equal(route(target), label, target)
    t.equal(compileRoutes(['/a/*', '/a/b'])('/a/b'), '/a/*', 'first match wins')
  },
)

t.test('an absolute-form target is matched on its path; the other forms have none', async (t) => {
  const route = compileRoutes(templates)
  const cases: [string, string][] = [
    ['http://example.com/api/users/1', '/api/users/:id'],
    ['https://example.com:8443/api/users/1?x=/health', '/api/users/:id'],
    ['HTTP://EXAMPLE.COM/health', '/health'], // the scheme and host are case-insensitive
    ['http://example.com', '/'], // an empty path is /
    ['http://example.com?q=1', '/'],
    ['http://user@example.com/static/a.css', '/static/*'],
    ['http://example.com/Health', OTHER_ROUTE], // the path is not
    ['ftp://example.com/health', OTHER_ROUTE], // not an http URL
    ['http:/health', OTHER_ROUTE],
    ['example.com:443', OTHER_ROUTE], // authority-form (CONNECT)
    ['*', OTHER_ROUTE], // asterisk-form (OPTIONS *)
  ]
  for (const [target, label] of cases) t.equal(route(target), label, target)
})

t.test('literal segments are matched literally, not as regular expressions', async (t) => {
  const route = compileRoutes(['/v1.0/(x)', '/a+b'])
  t.equal(route('/v1.0/(x)'), '/v1.0/(x)')
  t.equal(route('/v1x0/(x)'), OTHER_ROUTE)
  t.equal(route('/a+b'), '/a+b')
  t.equal(route('/aab'), OTHER_ROUTE)
})

t.test('no templates: every request is other', async (t) => {
  t.equal(compileRoutes([])('/api/users/1'), OTHER_ROUTE)
})

t.test('property: any target gets a configured template or other, nothing else', async (t) => {
  const route = compileRoutes(templates)
  const allowed = new Set([...templates, OTHER_ROUTE])
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.webPath(), fc.webUrl()), (target) => {
      return allowed.has(route(target))
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 targets')
})
