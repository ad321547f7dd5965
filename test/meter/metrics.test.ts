// The meter's /metrics after a known sequence of requests, its bounded labels under many
// distinct paths and methods, and the rest of its own port.
import fc from 'fast-check'
import t from 'tap'
import { OTHER_ROUTE } from '../../src/meter/routes.ts'
import { clientFor } from '../helpers/http-clients.ts'
import { portOf, type Sample, sampleValue, scrape, startApp, startTestMeter } from './harness.ts'

const USERS = '/api/users/:id'

/** The app of the known sequence: users are found (or created), /boom fails, the rest is missing. */
function answer(method: string, url: string): [number, string] {
  if (url.startsWith('/api/users/')) return method === 'POST' ? [201, 'created'] : [200, 'user']
  return url === '/boom' ? [500, ''] : [404, 'nope']
}

t.test('counters, histogram and bytes after a known sequence of requests', async (t) => {
  const app = await startApp(t, async (req, res) => {
    for await (const _ of req); // read the body
    const [status, body] = answer(req.method ?? '', req.url ?? '')
    res.writeHead(status)
    res.end(body)
  })
  const meter = await startTestMeter(t, portOf(app), { routes: [USERS] })
  const client = clientFor(t, meter.origin, { pipelining: 4 })
  const send = async (method: string, path: string, body?: string) => {
    const response = await client.request({ method, path, body: body ?? null })
    await response.body.dump()
    return response.statusCode
  }
  for (const id of [1, 2, 3]) await send('GET', `/api/users/${id}?fields=name`)
  await send('POST', '/api/users/9', 'x'.repeat(10))
  await send('PROPFIND', '/api/users/1') // a method outside the standard ones
  await send('GET', '/missing')
  await send('GET', '/missing/too')
  await send('GET', '/boom')

  const samples = await scrape(meter)
  const requests = (method: string, status_class: string, route: string) =>
    sampleValue(samples, 'meter_http_requests_total', { method, status_class, route })
  t.equal(requests('GET', '2xx', USERS), 3)
  t.equal(requests('POST', '2xx', USERS), 1)
  t.equal(requests('OTHER', '2xx', USERS), 1, 'PROPFIND is OTHER')
  t.equal(requests('GET', '4xx', OTHER_ROUTE), 2)
  t.equal(requests('GET', '5xx', OTHER_ROUTE), 1)
  const total = samples.filter((s) => s.name === 'meter_http_requests_total')
  t.equal(
    total.reduce((sum, s) => sum + s.value, 0),
    8,
    'no other requests counted',
  )

  const duration = (suffix: string, labels: Record<string, string>) =>
    sampleValue(samples, `meter_http_request_duration_seconds${suffix}`, labels)
  t.equal(duration('_count', { method: 'GET', route: USERS }), 3)
  t.equal(duration('_count', { method: 'GET', route: OTHER_ROUTE }), 3)
  t.equal(duration('_bucket', { method: 'GET', route: USERS, le: '+Inf' }), 3)
  t.ok(duration('_sum', { method: 'GET', route: USERS }) > 0)

  t.equal(sampleValue(samples, 'meter_http_request_bytes_total', { route: USERS }), 10)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total', { route: USERS }), 4 * 4 + 7)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total', { route: OTHER_ROUTE }), 8)
  t.equal(sampleValue(samples, 'meter_http_requests_in_flight'), 0)
  for (const kind of ['connect', 'timeout', 'reset'])
    t.ok(has(samples, 'meter_upstream_errors_total', { kind }), `${kind} is exported as 0`)
  t.ok(has(samples, 'process_cpu_seconds_total'), 'process metrics')
  t.ok(has(samples, 'nodejs_heap_size_used_bytes'), 'Node.js metrics')
})

function has(samples: readonly Sample[], name: string, labels: Record<string, string> = {}) {
  return samples.some(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )
}

t.test('labels stay bounded: 2000 distinct paths and odd methods make few series', async (t) => {
  const routes = ['/api/users/:id', '/static/*']
  const app = await startApp(t, (_req, res) => res.end())
  const meter = await startTestMeter(t, portOf(app), { routes })
  const client = clientFor(t, meter.origin, { pipelining: 4 })
  const methods = ['GET', 'POST', 'PROPFIND', 'MKCOL', 'PURGE', 'DELETE']
  const targets = fc.sample(
    fc.tuple(
      fc.constantFrom(...methods),
      fc.oneof(
        fc.webPath(),
        fc.webSegment().map((s) => `/api/users/${s}`),
      ),
      fc.option(fc.webQueryParameters()),
    ),
    { numRuns: 2000, seed: 42 },
  )
  for (let i = 0; i < targets.length; i += 50) {
    const batch = targets.slice(i, i + 50).map(async ([method, path, query]) => {
      const target = `${path.startsWith('/') ? path : `/${path}`}${query ? `?${query}` : ''}`
      const response = await client.request({ method, path: target, body: null })
      await response.body.dump()
    })
    await Promise.all(batch)
  }
  const series = (await scrape(meter)).filter((s) => s.name === 'meter_http_requests_total')
  t.equal(
    series.reduce((sum, s) => sum + s.value, 0),
    2000,
    'every request counted',
  )
  const labelValues = (name: string) => new Set(series.map((s) => s.labels[name]))
  t.ok([...labelValues('route')].every((r) => r === OTHER_ROUTE || routes.includes(r ?? '')))
  t.ok(
    [...labelValues('method')].every((m) => ['GET', 'POST', 'DELETE', 'OTHER'].includes(m ?? '')),
  )
  t.ok(series.length <= 4 * (routes.length + 1), `${series.length} series for 2000 paths`)
})

t.test('the metrics port: /healthz, /readyz, /metrics, and nothing else', async (t) => {
  const app = await startApp(t, (_req, res) => res.end())
  const meter = await startTestMeter(t, portOf(app))
  const client = clientFor(t, meter.metricsOrigin, { pipelining: 4 })
  const get = async (method: string, path: string) => {
    const response = await client.request({ method, path })
    return [response.statusCode, await response.body.text(), response.headers['content-type']]
  }
  t.same(await get('GET', '/healthz'), [200, 'ok\n', 'text/plain; charset=utf-8'])
  t.same(await get('GET', '/readyz'), [200, 'ready\n', 'text/plain; charset=utf-8'])
  const [status, text, type] = await get('GET', '/metrics')
  t.equal(status, 200)
  t.match(text, /^# HELP meter_/m)
  t.match(type, /^text\/plain; version=0\.0\.4/)
  t.same((await get('POST', '/metrics')).slice(0, 1), [405])
  t.same((await get('GET', '/')).slice(0, 1), [404])
})
