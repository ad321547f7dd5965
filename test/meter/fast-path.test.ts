// The meter's HTTP/1.1 fast path through real sockets: ordinary requests go by it (no connection
// is handed to node:http), anything else is handed over and answered as node:http answers it,
// smuggling attempts never reach the app with a boundary the meter did not count, and the app's
// responses reach the client framed by the meter.
import { once } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import fc from 'fast-check'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { MeterConfig } from '../../src/meter/config.ts'
import { startMeter } from '../../src/meter/meter.ts'
import { within } from '../helpers/eventually.ts'
import { rawConnection, watchClose } from '../helpers/raw-sockets.ts'
import { portOf, sampleValue, scrape, startApp, type TestMeter } from './harness.ts'

/** A meter whose debug log is kept, so that a test sees each connection handed to node:http. */
async function watchedMeter(t: Test, upstreamPort: number, overrides: Partial<MeterConfig> = {}) {
  const handovers: string[] = []
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg: string; reason?: string }
        if (entry.msg === 'a connection handed over to node:http')
          handovers.push(entry.reason ?? '')
      },
    },
  )
  const config: MeterConfig = {
    protocol: 'http',
    listen: { host: '127.0.0.1', port: 0 },
    upstream: `http://127.0.0.1:${upstreamPort}`,
    metricsPort: 0,
    routes: ['/api/:name'],
    upstreamTimeoutMs: 10_000,
    drainTimeoutMs: 5_000,
    logLevel: 'debug',
    ...overrides,
  }
  const meter = await startMeter(Object.freeze(config), log)
  t.teardown(() => meter.stop())
  const testMeter: TestMeter = {
    ...meter,
    origin: `http://127.0.0.1:${meter.proxyAddress.port}`,
    metricsOrigin: `http://127.0.0.1:${meter.metricsAddress.port}`,
  }
  return { meter: testMeter, handovers }
}

/** What the app saw of a request. */
interface Seen {
  method: string
  url: string
  body: string
  headers: IncomingMessage['headers']
}

/** An app that answers each request with what it saw, and keeps a list of them. */
async function echoApp(t: Test) {
  const seen: Seen[] = []
  let connections = 0
  const app = await startApp(t, async (req, res) => {
    let body = ''
    req.setEncoding('latin1')
    try {
      for await (const chunk of req) body += chunk
    } catch {
      return // the request was cut
    }
    seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers })
    res.setHeader('content-type', 'text/plain')
    res.end(`${req.method} ${req.url} ${body}`)
  })
  app.on('connection', () => connections++)
  return { app, seen, connections: () => connections }
}

/** Sends `bytes` on a new connection and resolves with all that came back once it closed. */
async function exchange(t: Test, port: number, bytes: string | string[]): Promise<string> {
  const socket = await rawConnection(t, port)
  const closed = watchClose(socket, 'the meter to close the connection')
  for (const piece of Array.isArray(bytes) ? bytes : [bytes]) {
    socket.write(Buffer.from(piece, 'latin1'))
    await new Promise(setImmediate)
  }
  return closed.closed()
}

const count = (answers: string) => answers.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0

t.test('ordinary requests go by the fast path: lengths, chunks, pipelining', async (t) => {
  const { app, seen, connections } = await echoApp(t)
  const { meter, handovers } = await watchedMeter(t, portOf(app))
  const answers = await exchange(t, meter.proxyAddress.port, [
    'GET /api/a?x=1 HTTP/1.1\r\nHost: meter\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n',
    'POST /api/b HTTP/1.1\r\nHost: meter\r\nContent-Length: 5\r\n\r\nhel',
    'loPUT /api/c HTTP/1.1\r\nHost: meter\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n',
    '2\r\nde\r\n0\r\nX-Trailer: dropped\r\n\r\nDELETE /api/d HTTP/1.1\r\nHost: meter\r\n',
    'Connection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: meter\r\n\r\n',
  ])
  t.same(handovers, [], 'no connection was handed to node:http')
  t.same(
    seen.map((s) => `${s.method} ${s.url} ${s.body}`),
    ['GET /api/a?x=1 ', 'POST /api/b hello', 'PUT /api/c abcde', 'DELETE /api/d '],
    'the app saw each request once, with its body, and nothing after Connection: close',
  )
  t.equal(connections(), 1, 'over one kept-alive connection to the app')
  t.match(seen[0]?.headers, {
    'x-forwarded-for': '10.0.0.1, 127.0.0.1',
    'x-forwarded-proto': 'http',
  })
  t.match(seen[2]?.headers, { 'transfer-encoding': 'chunked' })
  t.notOk(seen[2]?.headers['x-trailer'], 'request trailers are not passed on, as before')
  t.equal(count(answers), 4)
  t.match(answers, /^HTTP\/1\.1 200 OK\r\n.*Content-Length: 15\r\n.*Connection: keep-alive\r\n/s)
  t.match(answers, /Connection: close\r\n\r\nDELETE \/api\/d $/)
  const samples = await scrape(meter)
  const requests = (method: string) =>
    sampleValue(samples, 'meter_http_requests_total', { method, route: '/api/:name' })
  t.same(['GET', 'POST', 'PUT', 'DELETE'].map(requests), [1, 1, 1, 1])
  t.equal(sampleValue(samples, 'meter_http_request_bytes_total', { route: '/api/:name' }), 10)
  t.equal(sampleValue(samples, 'meter_http_requests_in_flight'), 0)
})

t.test('any requests, cut anywhere: the app sees each as sent, all counted', async (t) => {
  const { app, seen } = await echoApp(t)
  const { meter, handovers } = await watchedMeter(t, portOf(app))
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
    path: fc.stringMatching(/^\/[a-z0-9/._~%-]{0,20}(\?[a-z0-9=&]{0,10})?$/),
    body: fc.option(fc.tuple(fc.string({ maxLength: 30 }), fc.boolean())),
  })
  let total = 0
  await fc.assert(
    fc.asyncProperty(
      fc.array(request, { minLength: 1, maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (requests, cuts) => {
        seen.length = 0
        const text = requests.map(serialize).join('')
        const bounds = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b)
        const pieces = [0, ...bounds].map((from, i) =>
          text.slice(from, [...bounds, text.length][i]),
        )
        const last = 'GET /last HTTP/1.1\r\nHost: meter\r\nConnection: close\r\n\r\n'
        const answers = await exchange(t, meter.proxyAddress.port, [...pieces, last])
        total += requests.length + 1
        const expected = requests.map((r) => `${r.method} ${r.path} ${r.body?.[0] ?? ''}`)
        t.same(
          seen.map((s) => `${s.method} ${s.url} ${s.body}`),
          [...expected, 'GET /last '],
        )
        t.equal(count(answers), requests.length + 1)
      },
    ),
    { numRuns: 40, seed: 14 },
  )
  t.same(handovers, [], 'all by the fast path')
  const samples = (await scrape(meter)).filter((s) => s.name === 'meter_http_requests_total')
  t.equal(
    samples.reduce((sum, s) => sum + s.value, 0),
    total,
  )
})

function serialize(request: { method: string; path: string; body: [string, boolean] | null }) {
  const head = `${request.method} ${request.path} HTTP/1.1\r\nHost: meter\r\n`
  if (!request.body) return `${head}\r\n`
  const [body, chunked] = request.body
  const bytes = Buffer.byteLength(body, 'latin1')
  if (!chunked) return `${head}Content-Length: ${bytes}\r\n\r\n${body}`
  const chunk = bytes ? `${bytes.toString(16)}\r\n${body}\r\n` : ''
  return `${head}Transfer-Encoding: chunked\r\n\r\n${chunk}0\r\n\r\n`
}

t.test('what the fast path does not take is answered by node:http as before', async (t) => {
  const { app, seen } = await echoApp(t)
  const { meter, handovers } = await watchedMeter(t, portOf(app))
  const port = meter.proxyAddress.port
  // Two requests by the fast path, then one it hands over with the rest of the connection.
  const mixed = await exchange(t, port, [
    'GET /api/1 HTTP/1.1\r\nHost: meter\r\n\r\nGET /api/2 HTTP/1.1\r\nHost: meter\r\n\r\n',
    'GET /api/3 HTTP/1.0\r\nHost: meter\r\n\r\n',
  ])
  t.equal(count(mixed), 3, 'three answers, in order')
  t.match(mixed, /GET \/api\/3 $/)
  t.same(
    seen.map((s) => s.url),
    ['/api/1', '/api/2', '/api/3'],
  )
  const expect = await exchange(
    t,
    port,
    'POST /api/e HTTP/1.1\r\nHost: meter\r\nExpect: 100-continue\r\nContent-Length: 2\r\n' +
      'Connection: close\r\n\r\nok',
  )
  t.match(expect, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/)
  const bareLf = await exchange(t, port, 'GET /api/lf HTTP/1.1\nHost: meter\n\n')
  t.equal(bareLf, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  t.same(handovers, ['request-line', 'expect', 'line-ending'])
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_client_errors_total', { kind: 'malformed' }), 1)
})

t.test('smuggling attempts never reach the app with another boundary', async (t) => {
  const { app, seen } = await echoApp(t)
  const { meter, handovers } = await watchedMeter(t, portOf(app))
  const port = meter.proxyAddress.port
  const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: meter\r\n\r\n'
  const attempts: [string, string][] = [
    ['CL.TE', 'Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['TE.CL', 'Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n'],
    ['TE.TE', 'Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
    ['TE with a space', 'Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n'],
    ['CL twice', 'Content-Length: 0\r\nContent-Length: 5\r\n\r\n'],
    ['CL with a sign', 'Content-Length: +0\r\n\r\n'],
  ]
  for (const [what, fields] of attempts) {
    const answer = await exchange(
      t,
      port,
      `POST /api/x HTTP/1.1\r\nHost: meter\r\n${fields}${smuggled}`,
    )
    t.match(answer, /^HTTP\/1\.1 400 /, `${what}: node:http refuses it`)
  }
  t.same(seen, [], 'none reached the app')
  t.equal(handovers.length, attempts.length)

  // A chunk size that wraps in 64 bits, mid-body on the fast path: the app's request is cut.
  const cut = await exchange(
    t,
    port,
    'POST /api/wrap HTTP/1.1\r\nHost: meter\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `3\r\nabc\r\n10000000000000005\r\nhello\r\n0\r\n\r\n${smuggled}`,
  )
  t.equal(cut, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  t.same(seen, [], 'the app saw no request end, and no /smuggled')
  // Chunk extensions beyond Node's cap of 16 KiB: 413, as node:http answers them.
  const long = await exchange(
    t,
    port,
    'POST /api/ext HTTP/1.1\r\nHost: meter\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `3;${'x'.repeat(17 * 1024)}\r\nabc\r\n0\r\n\r\n`,
  )
  t.equal(long, 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n')
  t.same(seen, [], 'the app saw no request end')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_client_errors_total', { kind: 'too_large' }), 1)
  const malformed = sampleValue(samples, 'meter_http_client_errors_total', { kind: 'malformed' })
  t.equal(malformed, attempts.length + 1, 'each counted as malformed, by either path')
  t.equal(sampleValue(samples, 'meter_http_client_aborts_total', { route: '/api/:name' }), 2)
  t.equal(sampleValue(samples, 'meter_http_requests_in_flight'), 0)
})

t.test('a response head that arrives in many reads is put together whole', async (t) => {
  // The meter reads from the app into one buffer that every read reuses: the start of a head
  // kept from an earlier read must be a copy.
  const answer = `HTTP/1.1 200 OK\r\nX-Long: ${'abcdefghij'.repeat(20)}\r\nContent-Length: 2\r\n\r\nok`
  const server = createTcpServer((socket: Socket) => {
    socket.once('data', async () => {
      // A turn of the event loop between bytes: the meter reads them apart.
      for (const byte of answer) {
        socket.write(byte)
        await new Promise(setImmediate)
      }
      socket.end()
    })
    socket.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const { meter } = await watchedMeter(t, (server.address() as { port: number }).port)
  const got = await exchange(t, meter.proxyAddress.port, [
    'GET /a HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n',
  ])
  t.match(got, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(got, `\r\nX-Long: ${'abcdefghij'.repeat(20)}\r\n`)
  t.match(got, /\r\n\r\nok$/)
})

/** An app that answers every request head with `answer` (raw bytes), then maybe closes. */
async function rawApp(t: Test, answer: string, close: boolean) {
  const server = createTcpServer((socket: Socket) => {
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      head = ''
      if (close) socket.end(answer)
      else socket.write(answer)
    })
    socket.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return (server.address() as { port: number }).port
}

t.test('the app’s responses reach the client framed by the meter', async (t) => {
  const GET = 'GET /api/r HTTP/1.1\r\nHost: meter\r\n\r\n'
  const LAST = 'GET /api/r HTTP/1.1\r\nHost: meter\r\nConnection: close\r\n\r\n'
  const through = async (answer: string, close = false) => {
    const { meter } = await watchedMeter(t, await rawApp(t, answer, close))
    return exchange(t, meter.proxyAddress.port, [GET, LAST])
  }
  // Read until the app closes: chunked for the client, whose connection stays open.
  const untilClose = await through('HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nall of it', true)
  t.equal(count(untilClose), 2)
  t.match(untilClose, /Transfer-Encoding: chunked\r\nDate: [^\r]+\r\nConnection: keep-alive\r\n/)
  t.match(untilClose, /\r\n\r\n9\r\nall of it\r\n0\r\n\r\nHTTP\/1\.1 200 OK/)
  // Chunked with trailers: passed on, re-framed.
  const trailers = await through(
    'HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '2;x=y\r\nok\r\n0\r\nX-Sum: 42\r\n\r\n',
  )
  t.match(trailers, /\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 42\r\n\r\nHTTP\/1\.1 200 OK/)
  // Interim answers are dropped; a Connection field naming Content-Length cannot unframe it.
  const interim = await through(
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 2\r\n\r\nok',
  )
  t.notMatch(interim, /103|Link/)
  t.match(interim, /^HTTP\/1\.1 200 OK\r\nContent-Length: 2\r\n/)
  t.equal(count(interim), 2)
  // What cannot be framed one way only is the app failing: 502.
  const broken = await through(
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
  )
  t.match(broken, /^HTTP\/1\.1 502 Bad Gateway\r\n/)
})

t.test(
  'an app on HTTP/1.0 or closing after each answer gets a new connection each time',
  async (t) => {
    let connections = 0
    const app = createHttpServer((_req, res) => {
      res.setHeader('connection', 'close')
      res.end('once')
    })
    app.on('connection', () => connections++)
    app.listen(0, '127.0.0.1')
    await once(app, 'listening')
    t.teardown(() => app.close())
    const { meter } = await watchedMeter(t, portOf(app))
    const answers = await within(
      exchange(t, meter.proxyAddress.port, [
        'GET /a HTTP/1.1\r\nHost: m\r\n\r\n',
        'GET /b HTTP/1.1\r\nHost: m\r\n\r\n',
        'GET /c HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n',
      ]),
      { what: 'three answers' },
    )
    t.equal(count(answers), 3)
    t.equal(connections, 3)
    t.equal(answers.match(/Connection: keep-alive/g)?.length, 2, 'the client’s stays open')
  },
)
