// Graceful shutdown: readiness fails, no new connections, in-flight requests finish, idle
// connections close, and what is left when the drain timeout ends is cut.
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import t from 'tap'
import { Client, errors } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'
import { within } from '../helpers/eventually.ts'
import { portOf, refuses, startApp, startTestMeter } from './harness.ts'

/** An app whose answers wait until the test releases them; `arrived()` gives the first. */
async function heldApp(t: Parameters<typeof startApp>[0]) {
  const app = await startApp(t, () => undefined)
  const first = once(app, 'request') as Promise<[IncomingMessage, ServerResponse]>
  const arrived = () =>
    within(
      first.then(([, res]) => res),
      { what: 'the request to reach the app' },
    )
  return { app, arrived }
}

t.test('stop drains: not ready, no new connections, in-flight requests finish', async (t) => {
  const { app, arrived } = await heldApp(t)
  const meter = await startTestMeter(t, portOf(app))
  const client = new Client(meter.origin)
  t.teardown(() => client.destroy())
  const metrics = new Client(meter.metricsOrigin)
  t.teardown(() => metrics.destroy())
  const inFlight = client.request({ method: 'GET', path: '/slow' })
  const held = await arrived()

  let stopped = false
  const stopping = meter.stop().then(() => {
    stopped = true
  })
  const readiness = await metrics.request({ method: 'GET', path: '/readyz' })
  t.equal(readiness.statusCode, 503, 'readiness fails while draining')
  t.equal(await readiness.body.text(), 'draining\n')
  t.ok(await refuses(meter.proxyAddress.port), 'new connections are refused')
  t.notOk(stopped, 'stop waits for the request in flight')

  held.end('finally')
  const response = await inFlight
  t.equal(response.statusCode, 200)
  t.equal(response.headers.connection, 'close', 'the connection closes after it')
  t.equal(await response.body.text(), 'finally')
  await stopping
  t.ok(await refuses(meter.metricsAddress.port), 'the metrics port closes last')
})

t.test('a response that started before the drain does not hold it up afterwards', async (t) => {
  const { app, arrived } = await heldApp(t)
  // A drain timeout longer than the test's own: only closing the connection can end it.
  const meter = await startTestMeter(t, portOf(app), { drainTimeoutMs: 600_000 })
  const client = new Client(meter.origin)
  t.teardown(() => client.destroy())
  const streaming = client.request({ method: 'GET', path: '/stream' })
  const held = await arrived()
  held.writeHead(200, { 'content-type': 'text/plain' })
  held.write('started before, ')
  const response = await streaming
  t.equal(response.headers.connection, 'keep-alive', 'its head promised keep-alive')
  const stopping = meter.stop()
  held.end('ended during the drain')
  t.equal(await response.body.text(), 'started before, ended during the drain')
  await stopping
  t.pass('the drain ended with the response')
})

t.test('idle keep-alive connections do not hold the drain up', async (t) => {
  const app = await startApp(t, (_req, res) => res.end('ok'))
  const meter = await startTestMeter(t, portOf(app))
  const request = httpRequest(`${meter.origin}/`) // the global agent keeps connections alive
  request.setHeader('connection', 'keep-alive')
  request.end()
  const [response] = (await once(request, 'response')) as [IncomingMessage]
  response.resume()
  await once(response, 'end')
  const socket = request.socket
  if (!socket) throw new Error('the request has no socket')
  t.ok(!socket.destroyed, 'the connection stays open, idle')
  const closed = once(socket, 'close')
  await meter.stop() // resolves well before the 75 s keep-alive timeout
  await within(closed, { what: 'the meter to close the idle keep-alive connection' })
  t.pass('the meter closed the idle connection')
})

t.test('the drain timeout cuts requests and tunnels that do not finish', async (t) => {
  const { app, arrived } = await heldApp(t)
  const wss = new WebSocketServer({ server: app })
  t.teardown(() => wss.close())
  const meter = await startTestMeter(t, portOf(app), { drainTimeoutMs: 200 })
  const client = new Client(meter.origin)
  t.teardown(() => client.destroy())
  const stuck = client.request({ method: 'GET', path: '/forever' })
  const ws = new WebSocket(`${meter.origin.replace('http', 'ws')}/socket`)
  ws.on('error', () => {})
  await once(ws, 'open')
  await arrived()
  const cut = t.rejects(stuck, errors.SocketError, 'the request is cut')
  await meter.stop()
  await cut
  if (ws.readyState !== WebSocket.CLOSED) await once(ws, 'close')
  t.pass('the tunnel is cut')
})
