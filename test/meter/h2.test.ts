// `--protocol=http2`: HTTP/2 cleartext (prior knowledge) through the meter to a real node:http2
// app: bodies and trailers both ways, resets passed on both ways, the app failing (502, 504),
// idle sessions closed, GOAWAY on drain, and the same `meter_http_*` metrics as HTTP/1.1.
import { once } from 'node:events'
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  createServer,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2'
import t, { type Test } from 'tap'
import { until, within } from '../helpers/eventually.ts'
import { rawConnection, watchClose } from '../helpers/raw-sockets.ts'
import { closedPort, sampleValue, scrape, startTestMeter, type TestMeter } from './harness.ts'

type Handler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void

/** A node:http2 app on a loopback port, closed (sessions and all) at teardown. */
async function startH2App(t: Test, handler: Handler, maxConcurrentStreams?: number) {
  const server = createServer(maxConcurrentStreams ? { settings: { maxConcurrentStreams } } : {})
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    handler(stream, headers)
  })
  const sessions = new Set<{ destroy(): void }>()
  server.on('session', (session) => sessions.add(session))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const session of sessions) session.destroy()
    server.close()
  })
  return (server.address() as { port: number }).port
}

/** Reads a request body, then answers with its size, a body and a trailer. */
const counting: Handler = (stream) => {
  let bytes = 0
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'x-request-bytes': bytes }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }))
    stream.end('y'.repeat(bytes))
  })
}

function session(t: Test, meter: TestMeter): ClientHttp2Session {
  const client = connect(meter.origin)
  client.on('error', () => {})
  t.teardown(() => client.destroy())
  return client
}

interface Exchange {
  headers: IncomingHttpHeaders
  body: string
  trailers: IncomingHttpHeaders | undefined
  rstCode: number | undefined
}

/** Waits for a whole exchange on `stream`: head, body, trailers and how it closed. */
async function exchange(stream: ClientHttp2Stream): Promise<Exchange> {
  let body = ''
  let headers: IncomingHttpHeaders = {}
  let trailers: IncomingHttpHeaders | undefined
  stream.on('error', () => {})
  stream.on('response', (fields) => {
    headers = fields
  })
  stream.on('trailers', (fields) => {
    trailers = fields
  })
  stream.on('data', (chunk: Buffer) => {
    body += chunk
  })
  // Not events.once: it rejects on the 'error' that comes with a reset.
  const closed = new Promise((resolve) => stream.once('close', resolve))
  await within(closed, { what: 'the stream to close' })
  return { headers, body, trailers, rstCode: stream.rstCode }
}

async function settled(meter: TestMeter) {
  return until(
    async () => {
      const samples = await scrape(meter)
      return sampleValue(samples, 'meter_http_requests_in_flight') === 0 && samples
    },
    { what: 'the meter to count every request' },
  )
}

const h2Meter = (t: Test, port: number, overrides = {}, limits = {}) =>
  startTestMeter(t, port, { protocol: 'http2', ...overrides }, limits)

t.test('bodies and trailers pass both ways, with flow control, and are counted', async (t) => {
  let requestTrailers: IncomingHttpHeaders | undefined
  const port = await startH2App(t, (stream, headers) => {
    stream.once('trailers', (fields) => {
      requestTrailers = fields
    })
    t.equal(headers['x-forwarded-for'], '127.0.0.1', 'the client is named to the app')
    counting(stream, headers)
  })
  const meter = await h2Meter(t, port, { routes: ['/upload/:id'] })
  const client = session(t, meter)
  // More than the 64 KiB windows: the body only passes if windows are opened as it is read.
  const upload = Buffer.alloc(1_000_000, 'x')
  const stream = client.request(
    { ':method': 'POST', ':path': '/upload/7' },
    { waitForTrailers: true },
  )
  stream.on('wantTrailers', () => stream.sendTrailers({ 'x-upload-digest': 'def' }))
  stream.end(upload)
  const got = await exchange(stream)
  t.equal(got.headers[':status'], 200)
  t.equal(got.headers['x-request-bytes'], '1000000')
  t.equal(got.body.length, 1_000_000)
  t.same(got.trailers?.['x-checksum'], 'abc', 'response trailers reach the client')
  t.same(requestTrailers?.['x-upload-digest'], 'def', 'request trailers reach the app')
  t.equal(got.rstCode, constants.NGHTTP2_NO_ERROR)
  const samples = await settled(meter)
  const route = { route: '/upload/:id' }
  t.equal(
    sampleValue(samples, 'meter_http_requests_total', {
      method: 'POST',
      status_class: '2xx',
      ...route,
    }),
    1,
  )
  t.equal(sampleValue(samples, 'meter_http_request_bytes_total', route), 1_000_000)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total', route), 1_000_000)
  t.equal(sampleValue(samples, 'meter_http_request_duration_seconds_count', route), 1)
})

t.test("a client's reset reaches the app with its code, and counts as an abort", async (t) => {
  let arrived = () => {}
  const reached = new Promise<void>((resolve) => {
    arrived = resolve
  })
  let appStream: ServerHttp2Stream | undefined
  const port = await startH2App(t, (stream) => {
    appStream = stream
    stream.respond({ ':status': 200 })
    stream.write('started')
    arrived()
  })
  const meter = await h2Meter(t, port)
  const stream = session(t, meter).request({ ':path': '/long' })
  stream.on('error', () => {})
  stream.once('data', () => stream.close(constants.NGHTTP2_CANCEL))
  await within(reached, { what: 'the request to reach the app' })
  const app = appStream as ServerHttp2Stream
  if (!app.closed) await within(once(app, 'close'), { what: 'the app to see the reset' })
  t.equal(app.rstCode, constants.NGHTTP2_CANCEL)
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_http_client_aborts_total', { method: 'GET' }), 1)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { method: 'GET' }), 0)
})

t.test("the app's reset after its head reaches the client with its code", async (t) => {
  const port = await startH2App(t, (stream) => {
    stream.respond({ ':status': 200 })
    stream.write('partial', () => stream.close(constants.NGHTTP2_REFUSED_STREAM))
  })
  const meter = await h2Meter(t, port)
  const got = await exchange(session(t, meter).request({ ':path': '/' }))
  t.equal(got.headers[':status'], 200)
  t.equal(got.rstCode, constants.NGHTTP2_REFUSED_STREAM)
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'reset' }), 1)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { method: 'GET' }), 0)
})

t.test('an app that is not there: 502; one that does not answer: 504', async (t) => {
  const gone = await h2Meter(t, await closedPort())
  const refused = await exchange(session(t, gone).request({ ':path': '/' }))
  t.equal(refused.headers[':status'], 502)
  t.equal(refused.body, '502 Bad Gateway: the app is not accepting connections.\n')
  const samples = await settled(gone)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'connect' }), 1)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '5xx' }), 1)

  const silent = await h2Meter(t, await startH2App(t, () => {}), { upstreamTimeoutMs: 100 })
  const late = await exchange(session(t, silent).request({ ':path': '/' }))
  t.equal(late.headers[':status'], 504)
  const timeouts = await settled(silent)
  t.equal(sampleValue(timeouts, 'meter_upstream_errors_total', { kind: 'timeout' }), 1)
})

t.test('an idle session is closed; bytes that are not HTTP/2 are counted', async (t) => {
  const meter = await h2Meter(t, await startH2App(t, counting), {}, { keepAliveTimeoutMs: 100 })
  const client = session(t, meter)
  await exchange(client.request({ ':path': '/' }))
  await within(once(client, 'close'), { what: 'the meter to close the idle session' })
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const closed = watchClose(socket, 'the meter to close a connection that is not HTTP/2')
  socket.write('GET / HTTP/1.1\r\nHost: meter\r\n\r\n')
  await closed.closed()
  const samples = await until(
    async () => {
      const all = await scrape(meter)
      return sampleValue(all, 'meter_http_client_errors_total', { kind: 'malformed' }) > 0 && all
    },
    { what: 'the malformed connection to be counted' },
  )
  t.equal(sampleValue(samples, 'meter_http_client_errors_total', { kind: 'malformed' }), 1)
})

t.test('the drain: GOAWAY, not ready, streams under way finish', async (t) => {
  let release = () => {}
  const arrived = new Promise<void>((resolve) => {
    release = resolve
  })
  let held: ServerHttp2Stream | undefined
  const port = await startH2App(t, (stream) => {
    held = stream
    release()
  })
  const meter = await h2Meter(t, port)
  const client = session(t, meter)
  const goaway = once(client, 'goaway')
  const inFlight = exchange(client.request({ ':path': '/slow' }))
  await within(arrived, { what: 'the request to reach the app' })
  let stopped = false
  const stopping = meter.stop().then(() => {
    stopped = true
  })
  await within(goaway, { what: 'the meter to send GOAWAY' })
  t.equal((await fetch(`${meter.metricsOrigin}/readyz`)).status, 503, 'not ready')
  t.notOk(stopped, 'the stream under way holds the drain')
  held?.respond({ ':status': 200 })
  held?.end('finally')
  const got = await inFlight
  t.equal(got.body, 'finally')
  await within(stopping, { what: 'the drain to end' })
})

t.test('more calls than the app takes on one connection go on more connections', async (t) => {
  const held: ServerHttp2Stream[] = []
  let arrivals = 0
  const port = await startH2App(
    t,
    (stream, headers) => {
      arrivals++
      if (headers[':path'] === '/warm-up') stream.respond({ ':status': 204 }, { endStream: true })
      else held.push(stream)
    },
    1,
  )
  const meter = await h2Meter(t, port)
  const client = session(t, meter)
  // The app's SETTINGS (one stream at a time) arrive with the first answer.
  await exchange(client.request({ ':path': '/warm-up' }))
  const answers = [1, 2, 3].map(() => exchange(client.request({ ':path': '/held' })))
  await until(() => held.length === 3, {
    what: () => `three calls at the app, ${held.length} so far`,
  })
  for (const stream of held) stream.respond({ ':status': 200 }, { endStream: true })
  const statuses = (await Promise.all(answers)).map((a) => a.headers[':status'])
  t.same(statuses, [200, 200, 200])
  t.equal(arrivals, 4)
})

t.test('the drain timeout cuts streams that do not finish', async (t) => {
  const meter = await h2Meter(t, await startH2App(t, () => {}), { drainTimeoutMs: 100 })
  const client = session(t, meter)
  const stuck = exchange(client.request({ ':path': '/forever' }))
  await until(async () => sampleValue(await scrape(meter), 'meter_http_requests_in_flight') === 1, {
    what: 'the request to be in flight',
  })
  await meter.stop()
  const got = await stuck
  t.not(got.headers[':status'], 200, 'no answer came')
  t.ok(client.destroyed || client.closed, 'the session was cut')
})
