// One rule for route templates, which the meter checks in its flags and the webhook in a Pod's
// patterns/metrics.routes.
import t from 'tap'
import { checkRoute } from '../../src/shared/route-templates.ts'

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
