// Upgrade requests through the meter: a WebSocket echo through real sockets, an upgrade the app
// refuses, and an app that is not there.
import { once } from 'node:events'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import { until, within } from '../helpers/eventually.ts'
import { answerOf } from '../helpers/http-clients.ts'
import { rawConnection, receivedUntilEnd, watchClose } from '../helpers/raw-sockets.ts'
import { closedPort, portOf, sampleValue, scrape, startApp, startTestMeter } from './harness.ts'

t.test('a WebSocket echo through the meter, text and a 4 MiB binary message', async (t) => {
  let seenHeaders: Record<string, unknown> = {}
  const app = await startApp(t, (_req, res) => res.end('no upgrade'))
  const wss = new WebSocketServer({ server: app })
  wss.on('connection', (socket, req) => {
    seenHeaders = req.headers
    socket.on('message', (data, binary) => socket.send(data, { binary }))
  })
  t.teardown(() => wss.close())
  const meter = await startTestMeter(t, portOf(app), { routes: ['/chat/:room'] })
  const ws = new WebSocket(`${meter.origin.replace('http', 'ws')}/chat/lobby`, ['echo.v1'])
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  t.equal(ws.protocol, 'echo.v1', 'the subprotocol negotiated with the app')
  const replies: Buffer[] = []
  const echoed = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer) => {
      if (replies.push(data) === 3) resolve()
    }),
  )
  ws.send('hello')
  ws.send('world')
  const big = Buffer.alloc(4 * 1024 * 1024, 7)
  ws.send(big)
  await within(echoed, { what: 'three messages echoed back' })
  t.same(replies.slice(0, 2).map(String), ['hello', 'world'])
  t.ok(replies[2]?.equals(big), 'the binary message came back whole')
  t.equal(seenHeaders['x-forwarded-for'], '127.0.0.1')
  ws.close()
  await once(ws, 'close')
  const samples = await scrape(meter)
  const labels = { method: 'GET', route: '/chat/:room' }
  t.equal(sampleValue(samples, 'meter_http_requests_total', { ...labels, status_class: '1xx' }), 1)
  t.ok(
    sampleValue(samples, 'meter_http_request_bytes_total', { route: '/chat/:room' }) > big.length,
  )
  t.ok(
    sampleValue(samples, 'meter_http_response_bytes_total', { route: '/chat/:room' }) > big.length,
  )
  // The client sees the close before the meter has necessarily ended the tunnel's request.
  await until(async () => sampleValue(await scrape(meter), 'meter_http_requests_in_flight') === 0, {
    what: 'no request in flight after the close',
  })
})

/** Sends an upgrade request with node:http and returns the status and body of a non-101 answer. */
async function refusedUpgrade(origin: string) {
  const { statusCode, headers, body } = await answerOf(
    httpRequest(`${origin}/ws`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13' },
    }),
  )
  return { status: statusCode as number, headers, body }
}

t.test('an upgrade the app refuses comes back as the app answered it', async (t) => {
  const app = await startApp(t, (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' })
    res.end('use the v2 endpoint')
  })
  // An app with an upgrade listener that answers with an error, as a WebSocket server does.
  app.on('upgrade', (_req, socket) => {
    socket.end(
      'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 7\r\n\r\nnot you',
    )
  })
  const meter = await startTestMeter(t, portOf(app))
  const answer = await refusedUpgrade(meter.origin)
  t.equal(answer.status, 403)
  t.equal(answer.body, 'not you')
  t.equal(answer.headers.connection, 'close')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '4xx' }), 1)
})

t.test('an upgrade to an app that is down: 502, counted', async (t) => {
  const meter = await startTestMeter(t, await closedPort())
  const answer = await refusedUpgrade(meter.origin)
  t.equal(answer.status, 502)
  t.equal(answer.body, '502 Bad Gateway: the app is not accepting connections.\n')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'connect' }), 1)
  t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '5xx' }), 1)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total'), answer.body.length)
})

t.test('no hop-by-hop field crosses a 101, either way, but those of the handshake', async (t) => {
  const app = await startApp(t, (_req, res) => res.end('no upgrade'))
  let seen: IncomingHttpHeaders = {}
  app.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen = req.headers
    socket.end(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade, X-Internal-Token\r\nX-Internal-Token: secret\r\n' +
        'Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nX-App: yes\r\n\r\n',
    )
  })
  const meter = await startTestMeter(t, portOf(app))
  const request = httpRequest(`${meter.origin}/ws`, {
    headers: {
      connection: 'Upgrade, X-Hop',
      upgrade: 'websocket',
      'x-hop': 'client secret',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      'x-end': 'kept',
    },
  })
  request.end()
  const [response, socket] = (await within(once(request, 'upgrade'), {
    what: 'the 101 through the meter',
  })) as [IncomingMessage, Duplex]
  socket.destroy()
  t.match(seen, { connection: 'upgrade', upgrade: 'websocket', 'x-end': 'kept' })
  for (const name of ['x-hop', 'keep-alive', 'proxy-connection', 'te'])
    t.notOk(name in seen, `the app does not get ${name}`)
  t.match(response.headers, { connection: 'upgrade', upgrade: 'websocket', 'x-app': 'yes' })
  for (const name of ['x-internal-token', 'keep-alive', 'proxy-connection'])
    t.notOk(name in response.headers, `the client does not get ${name}`)
})

t.test('bytes sent in the same packet as the upgrade request or the 101 are counted', async (t) => {
  const fromClient = 'x'.repeat(1000)
  const fromApp = 'y'.repeat(3000)
  const app = await startApp(t, (_req, res) => res.end('no upgrade'))
  const appGot = Promise.withResolvers<string>()
  app.on('upgrade', (_req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let got = String(head)
    if (got.length === fromClient.length) appGot.resolve(got)
    socket.on('data', (chunk: Buffer) => {
      got += chunk
      if (got.length === fromClient.length) appGot.resolve(got)
    })
    socket.on('end', () => socket.end())
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n${fromApp}`,
    )
  })
  const meter = await startTestMeter(t, portOf(app), { routes: ['/raw'] })
  const client = await rawConnection(t, meter.proxyAddress.port)
  let clientGot = ''
  const clientDone = new Promise<void>((resolve) =>
    client.on('data', (chunk: Buffer) => {
      clientGot += chunk
      if (clientGot.endsWith(fromApp)) resolve()
    }),
  )
  client.write(
    `GET /raw HTTP/1.1\r\nHost: meter\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n${fromClient}`,
  )
  t.equal(await within(appGot.promise, { what: 'the app to get the client’s bytes' }), fromClient)
  await within(clientDone, { what: 'the client to get the app’s bytes' })
  client.end() // an open tunnel would hold the meter's stop up until its drain timeout
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_request_bytes_total', { route: '/raw' }), 1000)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total', { route: '/raw' }), 3000)
})

t.test('after a refused or failed upgrade, the meter closes the connection itself', async (t) => {
  const refusing = await startApp(t, (_req, res) => res.end('no upgrade'))
  refusing.on('upgrade', (_req, socket: Duplex) => {
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 7\r\n\r\nnot you')
  })
  for (const [what, port] of [
    ['refused', portOf(refusing)],
    ['failed', await closedPort()],
  ] as const) {
    // A drain timeout longer than the test's own: only the meter closing the connection lets
    // it stop in time.
    const meter = await startTestMeter(t, port, { drainTimeoutMs: 600_000 })
    // A client that reads the answer to the end and never closes its side.
    const socket = await rawConnection(t, meter.proxyAddress.port, { allowHalfOpen: true })
    const answer = receivedUntilEnd(socket, `the answer to the ${what} upgrade`)
    socket.write('GET /ws HTTP/1.1\r\nHost: meter\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n')
    t.match(await answer, /^HTTP\/1\.1 (403|502) /, what)
    await within(meter.stop(), { what: `the meter to stop after the ${what} upgrade` })
  }
})

t.test('an upgrade request with a body is forwarded as an ordinary request', async (t) => {
  // An app without WebSocket: Node answers an upgrade request as any other, after its body.
  const app = await startApp(t, async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    res.end(`got ${body}, upgrade: ${req.headers.upgrade ?? 'none'}`)
  })
  const meter = await startTestMeter(t, portOf(app), { upstreamTimeoutMs: 60_000 })
  const request = httpRequest(`${meter.origin}/ws`, {
    method: 'POST',
    headers: { connection: 'Upgrade', upgrade: 'h2c', 'content-length': '5' },
  })
  request.write('hello')
  const answer = await within(answerOf(request), { what: 'the answer to an upgrade with a body' })
  t.equal(answer.statusCode, 200)
  t.equal(answer.body, 'got hello, upgrade: none', 'the app got the body, and no Upgrade')
  // Node's parser reads nothing more on a connection after an upgrade request, even one it
  // did not upgrade: the answer closes the connection instead of leaving it stuck.
  t.equal(answer.headers.connection, 'close')
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const closed = watchClose(socket, 'the meter to close the connection after the answer')
  socket.write(
    'POST /ws HTTP/1.1\r\nHost: meter\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n' +
      'Content-Length: 5\r\n\r\nhello',
  )
  t.match(await closed.closed(), /\r\n\r\ngot hello, upgrade: none$/)
})
