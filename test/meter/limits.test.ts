// What a client connection may cost the meter: a head has a deadline, so has an idle keep-alive
// connection, and the number of connections has a cap. Nothing else is timed: a request whose
// head is in may take as long as it takes. The deadlines are shortened here, as options.
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import { CLIENT_LIMITS, serverOptions } from '../../src/meter/limits.ts'
import { until, within } from '../helpers/eventually.ts'
import { rawConnection, watchClose } from '../helpers/raw-sockets.ts'
import { portOf, sampleValue, scrape, startApp, startTestMeter } from './harness.ts'

const SHORT = { headTimeoutMs: 200, headCheckIntervalMs: 50, keepAliveTimeoutMs: 200 }

/** An app that answers `ok` to everything. */
const okApp = (t: Parameters<typeof startApp>[0]) => startApp(t, (_req, res) => res.end('ok'))

t.test('a head that is never finished gets a 408 and its connection is closed', async (t) => {
  const meter = await startTestMeter(t, portOf(await okApp(t)), {}, SHORT)
  const partial = await rawConnection(t, meter.proxyAddress.port)
  const partialClosed = watchClose(partial, 'the meter to close a connection with half a head')
  partial.write('GET / HTTP/1.1\r\nHost: meter\r\nX-Slow: a')
  const silent = await rawConnection(t, meter.proxyAddress.port)
  const silentClosed = watchClose(silent, 'the meter to close a connection that sends nothing')
  t.match(await partialClosed.closed(), /^HTTP\/1\.1 408 /)
  t.match(await silentClosed.closed(), /^HTTP\/1\.1 408 /)
})

t.test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const meter = await startTestMeter(t, portOf(await okApp(t)), {}, SHORT)
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const closed = watchClose(socket, 'the meter to close the idle connection')
  socket.write('GET / HTTP/1.1\r\nHost: meter\r\n\r\n')
  const answer = await closed.closed()
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(answer, /\r\nConnection: keep-alive\r\n/, 'the meter had offered to keep it open')
})

t.test('once its head is in, nothing is cut: an upload, a download, a WebSocket', async (t) => {
  let finishDownload = () => {}
  const app = await startApp(t, (req, res) => {
    if (req.url === '/download') {
      res.write('first,')
      finishDownload = () => res.end('last')
      return
    }
    let bytes = 0
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
    req.on('end', () => res.end(`${bytes} bytes`)).on('error', () => {})
  })
  const wss = new WebSocketServer({ server: app })
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(String(data))))
  t.teardown(() => wss.close())
  const meter = await startTestMeter(t, portOf(app), {}, SHORT)

  const uploadArrived = once(app, 'request')
  const upload = httpRequest(`${meter.origin}/upload`, { method: 'POST', agent: false })
  upload.on('error', () => {}) // only when this test fails: the answer is never awaited then
  const uploaded = new Promise<IncomingMessage>((resolve) => upload.once('response', resolve))
  upload.write('a')
  await within(uploadArrived, { what: 'the upload to reach the app' })
  const download = httpRequest(`${meter.origin}/download`, { agent: false })
  download.end()
  const [downloading] = (await within(once(download, 'response'), {
    what: 'the download to start',
  })) as [IncomingMessage]
  const ws = new WebSocket(`${meter.origin.replace('http', 'ws')}/socket`)
  t.teardown(() => ws.terminate())
  await within(once(ws, 'open'), { what: 'the WebSocket to open' })

  // A connection opened after all three that never finishes its head: once the meter has
  // closed it, the head deadline has passed for the three others too.
  const probe = await rawConnection(t, meter.proxyAddress.port)
  const probeClosed = watchClose(probe, 'the meter to close the probe')
  probe.write('GET / HTTP/1.1\r\n')
  await probeClosed.closed()

  upload.end('b')
  const answer = await within(uploaded, { what: 'the answer to the upload' })
  t.equal(await text(answer), '2 bytes', 'the upload went on')
  finishDownload()
  t.equal(await text(downloading), 'first,last', 'the download went on')
  const echoed = once(ws, 'message')
  ws.send('still here')
  t.equal(String((await within(echoed, { what: 'the echo' }))[0]), 'still here', 'the tunnel too')
})

async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  let all = ''
  for await (const chunk of stream) all += chunk
  return all
}

t.test('connections beyond the cap are closed at once, and counted', async (t) => {
  const meter = await startTestMeter(t, portOf(await okApp(t)), {}, { maxConnections: 2 })
  const port = meter.proxyAddress.port
  /** A connection that got an answer, or undefined if the meter closed it unanswered. */
  const served = async () => {
    const socket = await rawConnection(t, port)
    const answered = new Promise<boolean>((resolve) => {
      socket.once('data', () => resolve(true)).once('close', () => resolve(false))
    })
    socket.on('error', () => {})
    socket.write('GET / HTTP/1.1\r\nHost: meter\r\n\r\n')
    return (await within(answered, { what: 'an answer or a close' })) ? socket : undefined
  }
  const first = await served()
  t.ok(first && (await served()), 'two connections are served')
  const extra = await rawConnection(t, port)
  const extraClosed = watchClose(extra, 'the meter to close a connection beyond the cap')
  extra.write('GET / HTTP/1.1\r\nHost: meter\r\n\r\n')
  t.equal(await extraClosed.closed(), '', 'closed without an answer')
  t.equal(sampleValue(await scrape(meter), 'meter_connections_dropped_total'), 1)

  first?.destroy()
  // The meter learns of the close a moment after the client: until then it still drops.
  await until(served, { what: 'a new connection to be served once one has closed' })
  t.pass('a closed connection makes room for a new one')
})

t.test('heads the parser refuses are answered as Node answers them, and counted', async (t) => {
  const meter = await startTestMeter(t, portOf(await okApp(t)), {}, SHORT)
  const send = async (bytes: string) => {
    const socket = await rawConnection(t, meter.proxyAddress.port)
    const closed = watchClose(socket, `the meter to refuse ${JSON.stringify(bytes.slice(0, 20))}`)
    socket.write(bytes)
    return closed.closed()
  }
  const [timeout, tooLarge, malformed] = await Promise.all([
    send('GET / HTTP/1.1\r\nHost: meter\r\n'),
    send(`GET / HTTP/1.1\r\nHost: meter\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`),
    send('HELLO\r\n\r\n'),
  ])
  t.equal(timeout, 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n')
  t.equal(tooLarge, 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n')
  t.equal(malformed, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
  const samples = await scrape(meter)
  const counted = (kind: string) => sampleValue(samples, 'meter_http_client_errors_total', { kind })
  t.same(
    [counted('head_timeout'), counted('too_large'), counted('malformed')],
    [1, 1, 1],
    'one of each',
  )
  t.equal(sampleValue(samples, 'meter_http_requests_total'), 0, 'none of them is a request')
})

t.test(
  'the metrics port has the same deadlines, a cap of its own, and reads no body',
  async (t) => {
    const limits = { ...SHORT, maxMetricsConnections: 2 }
    const meter = await startTestMeter(t, portOf(await okApp(t)), {}, limits)
    const port = meter.metricsAddress.port
    const partial = await rawConnection(t, port)
    const partialClosed = watchClose(partial, 'the metrics port to close half a head')
    partial.write('GET /metrics HTTP/1.1\r\nHost: meter\r\n')
    const body = await rawConnection(t, port)
    const bodyClosed = watchClose(body, 'the metrics port to close a body that never ends')
    body.write('POST /metrics HTTP/1.1\r\nHost: meter\r\nContent-Length: 100\r\n\r\nx')
    const extra = await rawConnection(t, port)
    const extraClosed = watchClose(extra, 'the metrics port to close a third connection')
    t.equal(await extraClosed.closed(), '', 'beyond the cap: closed unanswered')
    t.match(await partialClosed.closed(), /^HTTP\/1\.1 408 /)
    t.match(await bodyClosed.closed(), /^HTTP\/1\.1 405 /, 'answered, then closed at the deadline')
  },
)

t.test(
  'by default: 20 s for a head, 75 s idle, 1,024 connections, 16 KiB heads, 1 h idle TCP',
  async (t) => {
    t.same(CLIENT_LIMITS, {
      headTimeoutMs: 20_000,
      headCheckIntervalMs: 1_000,
      keepAliveTimeoutMs: 75_000,
      maxConnections: 1_024,
      maxMetricsConnections: 64,
      maxHeadBytes: 16_384,
      maxStreamsPerConnection: 100,
      tcpIdleTimeoutMs: 3_600_000,
    })
    t.match(serverOptions(CLIENT_LIMITS), { headersTimeout: 20_000, requestTimeout: 0 })
  },
)
