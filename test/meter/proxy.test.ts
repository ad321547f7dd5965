// The meter as a reverse proxy, through real sockets on 127.0.0.1: what the app sees, what the
// client gets, and what happens when either side fails.
import { once } from 'node:events'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import t from 'tap'
import { until, within } from '../helpers/eventually.ts'
import { answerOf, clientFor } from '../helpers/http-clients.ts'
import { rawConnection, receivedUntilEnd, watchClose } from '../helpers/raw-sockets.ts'
import { closedPort, portOf, sampleValue, scrape, startApp, startTestMeter } from './harness.ts'

/** A GET with node:http, its whole body read. */
const get = (url: string) => answerOf(httpRequest(url))

t.test('requests reach the app with their end-to-end fields and X-Forwarded-*', async (t) => {
  let seen:
    | { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }
    | undefined
  const app = await startApp(t, async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    seen = { method: req.method, url: req.url, headers: req.headers, body } as typeof seen
    res.writeHead(201, 'Made', [
      ...['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2'],
      ...['connection', 'keep-alive, x-private', 'x-private', 'hop', 'x-app', 'yes'],
    ])
    res.end('created')
  })
  const meter = await startTestMeter(t, portOf(app))
  const response = await clientFor(t, meter.origin).request({
    method: 'PUT',
    path: '/things/1?dry=true',
    headers: { 'x-request-id': 'r1', connection: 'keep-alive', 'content-type': 'text/plain' },
    body: 'hello',
  })
  t.equal(response.statusCode, 201)
  t.equal(response.statusText, 'Made')
  t.same(response.headers['set-cookie'], ['a=1', 'b=2'])
  t.equal(response.headers['x-app'], 'yes')
  t.notOk('x-private' in response.headers, 'a field the app named in Connection is dropped')
  t.equal(await response.body.text(), 'created')
  t.match(seen, {
    method: 'PUT',
    url: '/things/1?dry=true',
    body: 'hello',
    headers: {
      host: meter.origin.replace('http://', ''),
      'x-request-id': 'r1',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'content-length': '5',
    },
  })
})

t.test('a chunked response is passed on chunk by chunk, not collected first', async (t) => {
  let release: () => void = () => {}
  const app = await startApp(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }) // no length: chunked
    res.write('first,')
    // The second chunk is only written after the client has received the first one.
    release = () => res.end('second')
  })
  const meter = await startTestMeter(t, portOf(app))
  const response = await clientFor(t, meter.origin).request({ method: 'GET', path: '/' })
  t.equal(response.headers['transfer-encoding'], 'chunked')
  const chunks: string[] = []
  for await (const chunk of response.body) {
    chunks.push(String(chunk))
    if (chunks.length === 1) release()
  }
  t.same(chunks, ['first,', 'second'])
})

t.test('a response with a Content-Length written in parts is passed on part by part', async (t) => {
  let release: () => void = () => {}
  const app = await startApp(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '12' })
    res.write('first,')
    // The last part (the one that completes the length, which ends the response at the meter)
    // is only written after the client has received the first one.
    release = () => res.end('second')
  })
  const meter = await startTestMeter(t, portOf(app))
  const client = clientFor(t, meter.origin)
  const response = await client.request({ method: 'GET', path: '/' })
  t.equal(response.headers['content-length'], '12')
  const chunks: string[] = []
  for await (const chunk of response.body) {
    chunks.push(String(chunk))
    if (chunks.length === 1) release()
  }
  t.same(chunks, ['first,', 'second'])
  // The same connection (a Client has one) carries the next request.
  const again = await client.request({ method: 'GET', path: '/' })
  const second = again.body.text()
  release()
  t.equal(await second, 'first,second')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '2xx' }), 2)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total'), 24)
  t.equal(sampleValue(samples, 'meter_http_requests_in_flight'), 0)
})

t.test('a HEAD, a 204 and a 304 keep their framing', async (t) => {
  const app = await startApp(t, (req, res) => {
    const status = Number(req.url?.slice(1))
    res.writeHead(status, { 'content-length': '42', etag: '"v1"' })
    res.end()
  })
  const meter = await startTestMeter(t, portOf(app))
  const client = clientFor(t, meter.origin)
  const head = await client.request({ method: 'HEAD', path: '/200' })
  t.equal(head.headers['content-length'], '42')
  t.equal(await head.body.text(), '')
  // node:http as the client: undici, like the meter's own pool, fails a 304 that carries a
  // Content-Length (which RFC 9110 section 8.6 allows).
  for (const status of [204, 304]) {
    const response = await get(`${meter.origin}/${status}`)
    t.equal(response.statusCode, status)
    t.equal(response.headers.etag, '"v1"')
    t.equal(response.body, '')
  }
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'reset' }), 0)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '3xx' }), 1)
})

t.test('the app down: 502 with a short reason, counted, and the meter carries on', async (t) => {
  const meter = await startTestMeter(t, await closedPort())
  const client = clientFor(t, meter.origin)
  for (let i = 0; i < 2; i++) {
    const response = await client.request({ method: 'GET', path: '/' })
    t.equal(response.statusCode, 502)
    t.equal(response.headers['content-type'], 'text/plain; charset=utf-8')
    t.equal(await response.body.text(), '502 Bad Gateway: the app is not accepting connections.\n')
  }
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'connect' }), 2)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '5xx' }), 2)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total'), 2 * 55, 'its own bodies too')
})

t.test('the app too slow: 504 after --upstream-timeout, counted as a timeout', async (t) => {
  const app = await startApp(t, () => {}) // never answers
  const meter = await startTestMeter(t, portOf(app), { upstreamTimeoutMs: 200 })
  const response = await clientFor(t, meter.origin).request({ method: 'GET', path: '/' })
  t.equal(response.statusCode, 504)
  t.equal(await response.body.text(), '504 Gateway Timeout: the app did not answer in time.\n')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'timeout' }), 1)
})

t.test('the app breaks off a response: the client sees it cut, a reset is counted', async (t) => {
  const app = await startApp(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('only part of it')
    setImmediate(() => res.socket?.destroy())
  })
  const meter = await startTestMeter(t, portOf(app))
  const response = await clientFor(t, meter.origin).request({ method: 'GET', path: '/' })
  t.equal(response.statusCode, 200, 'the head had already been sent on')
  await t.rejects(response.body.text(), 'the body ends early')
  // The client sees the cut before the meter has necessarily counted it.
  await until(
    async () =>
      sampleValue(await scrape(meter), 'meter_upstream_errors_total', { kind: 'reset' }) === 1,
    { what: 'the reset to be counted' },
  )
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_client_aborts_total'), 0, 'not the client’s doing')
  t.equal(sampleValue(samples, 'meter_http_requests_in_flight'), 0)
})

t.test('the app closes without answering: 502, counted as a reset', async (t) => {
  const app = await startApp(t, (req) => req.socket.destroy())
  const meter = await startTestMeter(t, portOf(app))
  const response = await clientFor(t, meter.origin).request({ method: 'GET', path: '/' })
  t.equal(response.statusCode, 502)
  t.match(await response.body.text(), /closed the connection/)
  t.equal(sampleValue(await scrape(meter), 'meter_upstream_errors_total', { kind: 'reset' }), 1)
})

t.test('a client that leaves cancels the request to the app', async (t) => {
  const app = await startApp(t, () => undefined) // never answers
  const arrived = once(app, 'request') as Promise<[IncomingMessage]>
  const meter = await startTestMeter(t, portOf(app), { routes: ['/slow'] })
  const request = httpRequest(`${meter.origin}/slow`)
  request.on('error', () => {})
  request.end()
  const [appRequest] = await within(arrived, { what: 'the request to reach the app' })
  // The app's request fails with "aborted" and closes: what this test waits for.
  const appClosed = new Promise((resolve) => appRequest.on('error', () => {}).on('close', resolve))
  request.destroy()
  await within(appClosed, { what: 'the app to see its request closed' })
  t.pass('the app saw its request closed')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_client_aborts_total', { route: '/slow' }), 1)
  t.equal(sampleValue(samples, 'meter_http_requests_in_flight'), 0)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'reset' }), 0)
  t.equal(sampleValue(samples, 'meter_http_requests_total'), 0, 'no response was completed')
})

t.test('pipelined requests go to the app one after the other, in the order sent', async (t) => {
  // RFC 9112 section 9.3.2: only safe requests may be worked on in parallel. The POST's body is
  // chunked (if empty), so it is streamed to the app, and the GET after it would overtake it if
  // both were sent at once.
  const events: string[] = []
  const app = await startApp(t, async (req, res) => {
    events.push(`${req.method} ${req.url} arrived`)
    for await (const _ of req);
    res.on('finish', () => events.push(`${req.method} ${req.url} answered`))
    res.end('ok')
  })
  const meter = await startTestMeter(t, portOf(app))
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const answers = watchClose(socket, 'the meter to close after the last answer')
  socket.write(
    'POST /first HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '0\r\n\r\n' +
      'GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  )
  const text = await answers.closed()
  t.equal(text.match(/HTTP\/1\.1 200/g)?.length, 2, 'both answered')
  t.same(events, [
    'POST /first arrived',
    'POST /first answered',
    'GET /second arrived',
    'GET /second answered',
  ])
})

t.test('a request in absolute form is counted under the route of its path', async (t) => {
  let seenUrl: string | undefined
  const app = await startApp(t, (req, res) => {
    seenUrl = req.url
    res.end('user')
  })
  const meter = await startTestMeter(t, portOf(app), { routes: ['/api/users/:id'] })
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const closed = watchClose(socket, 'the answer to the absolute-form request')
  socket.write(
    'GET http://shop.example/api/users/7?x=1 HTTP/1.1\r\nHost: shop.example\r\n' +
      'Connection: close\r\n\r\n',
  )
  const answer = await closed.closed()
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(answer, /\r\n\r\nuser$/)
  t.equal(seenUrl, 'http://shop.example/api/users/7?x=1', 'the app gets the target as sent')
  const samples = await scrape(meter)
  const labels = { method: 'GET', status_class: '2xx', route: '/api/users/:id' }
  t.equal(sampleValue(samples, 'meter_http_requests_total', labels), 1)
})

t.test('CONNECT is refused with 405, OPTIONS * with 400, both counted as other', async (t) => {
  let reached = 0
  const app = await startApp(t, (_req, res) => {
    reached++
    res.end()
  })
  // A drain timeout longer than the test's own: the meter can only stop in time if it has
  // closed both connections itself, although their clients keep their side open.
  const meter = await startTestMeter(t, portOf(app), { routes: ['/'], drainTimeoutMs: 600_000 })
  const ask = async (head: string) => {
    const socket = await rawConnection(t, meter.proxyAddress.port, { allowHalfOpen: true })
    const answer = receivedUntilEnd(socket, `the answer to ${head.split('\r\n', 1)[0]}`)
    socket.write(`${head}\r\nConnection: close\r\n\r\n`)
    return answer
  }
  const connect = await ask('CONNECT app.example:443 HTTP/1.1\r\nHost: app.example:443')
  t.match(connect, /^HTTP\/1\.1 405 Method Not Allowed\r\n/)
  t.match(connect, /\r\nAllow: GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH\r\n/i)
  t.match(connect, /\r\n\r\n405 Method Not Allowed: the meter does not open tunnels.\n$/)
  const asterisk = await ask('OPTIONS * HTTP/1.1\r\nHost: app.example')
  t.match(asterisk, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.equal(reached, 0, 'neither reached the app')
  const samples = await scrape(meter)
  const counted = (method: string, status_class: string) =>
    sampleValue(samples, 'meter_http_requests_total', { method, status_class, route: 'other' })
  t.equal(counted('CONNECT', '4xx'), 1)
  t.equal(counted('OPTIONS', '4xx'), 1)
  const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4)
  t.equal(
    sampleValue(samples, 'meter_http_response_bytes_total', { route: 'other' }),
    bodyOf(connect).length + bodyOf(asterisk).length,
    'both bodies counted',
  )
  await within(meter.stop(), { what: 'the meter to stop with no connection left open' })
})
