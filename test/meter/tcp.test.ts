// `--protocol=tcp`: bytes relayed between clients and a real TCP server, unread, and what the
// meter then says about them: connections opened and active, bytes each way, durations; a
// half-close passed on, an app that refuses connections, the cap, the idle timeout, the drain.
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { until, within } from '../helpers/eventually.ts'
import { rawConnection, receivedUntilEnd, watchClose } from '../helpers/raw-sockets.ts'
import { closedPort, sampleValue, scrape, startTestMeter, type TestMeter } from './harness.ts'

/** A TCP server on a loopback port whose connections `handle` serves; closed at teardown. */
async function startTcpApp(t: Test, handle: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    handle(socket)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return (server.address() as { port: number }).port
}

/** Echoes what it reads and ends when the client does. */
const echo = (socket: Socket) => socket.pipe(socket)

/** Reads until the client's end, then answers with how much it read, then ends. */
const counter = (socket: Socket) => {
  let bytes = 0
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  socket.on('end', () => socket.end(`read ${bytes} bytes after your FIN`))
}

const tcpMeter = (t: Test, port: number, limits = {}) =>
  startTestMeter(t, port, { protocol: 'tcp' }, limits)

/** The relay's metrics once every connection it took has closed. */
async function settled(meter: TestMeter) {
  return until(
    async () => {
      const samples = await scrape(meter)
      return sampleValue(samples, 'meter_tcp_connections_active') === 0 && samples
    },
    { what: 'the meter to count every connection closed' },
  )
}

t.test('bytes go both ways unchanged, and are counted with the connection', async (t) => {
  const meter = await tcpMeter(t, await startTcpApp(t, echo))
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const echoed = receivedUntilEnd(socket, 'the echo to end')
  const message = 'x'.repeat(100_000)
  socket.end(message)
  t.equal(await echoed, message, 'the app echoed everything through the meter')
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_tcp_connections_opened_total'), 1)
  t.equal(sampleValue(samples, 'meter_tcp_received_bytes_total'), 100_000)
  t.equal(sampleValue(samples, 'meter_tcp_sent_bytes_total'), 100_000)
  t.equal(sampleValue(samples, 'meter_tcp_connection_duration_seconds_count'), 1)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'connect' }), 0)
})

t.test('a half-close is passed on: the app still answers after the client ends', async (t) => {
  const meter = await tcpMeter(t, await startTcpApp(t, counter))
  const socket = await rawConnection(t, meter.proxyAddress.port, { allowHalfOpen: true })
  const answer = receivedUntilEnd(socket, "the app's answer after the FIN")
  socket.write('12345')
  socket.write('67890')
  socket.end('abcde')
  t.equal(await answer, 'read 15 bytes after your FIN')
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_tcp_received_bytes_total'), 15)
  t.equal(sampleValue(samples, 'meter_tcp_sent_bytes_total'), 28)
})

t.test('an app that refuses connections: the client is reset, the error counted', async (t) => {
  const meter = await tcpMeter(t, await closedPort())
  const socket = await rawConnection(t, meter.proxyAddress.port)
  let reset = false
  socket.on('error', (error: NodeJS.ErrnoException) => {
    reset = error.code === 'ECONNRESET'
  })
  t.equal(await watchClose(socket, 'the meter to close the connection').closed(), '')
  t.ok(reset, 'a reset, not an orderly end, so the client knows it failed')
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'connect' }), 1)
  t.equal(sampleValue(samples, 'meter_tcp_connections_opened_total'), 1)
  t.equal(sampleValue(samples, 'meter_tcp_connection_duration_seconds_count'), 1)
})

t.test('an app that resets its connection resets the client, counted as a reset', async (t) => {
  const meter = await tcpMeter(t, await startTcpApp(t, (socket) => socket.resetAndDestroy()))
  const socket = await rawConnection(t, meter.proxyAddress.port)
  await watchClose(socket, 'the meter to pass the reset on').closed()
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'reset' }), 1)
})

t.test('connections beyond the cap are dropped and counted', async (t) => {
  const meter = await tcpMeter(t, await startTcpApp(t, echo), { maxConnections: 1 })
  const first = await rawConnection(t, meter.proxyAddress.port)
  const echoed = once(first, 'data')
  first.write('held')
  await within(echoed, { what: 'the first connection to be relayed' })
  const second = await rawConnection(t, meter.proxyAddress.port)
  await watchClose(second, 'the meter to drop the second connection').closed()
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_connections_dropped_total'), 1)
  t.equal(sampleValue(samples, 'meter_tcp_connections_active'), 1)
})

t.test('a connection that carries nothing for the idle timeout is closed', async (t) => {
  const meter = await tcpMeter(t, await startTcpApp(t, echo), { tcpIdleTimeoutMs: 100 })
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const closed = watchClose(socket, 'the meter to close the idle connection')
  socket.write('one exchange, then silence')
  t.equal(await closed.closed(), 'one exchange, then silence')
  t.equal(sampleValue(await settled(meter), 'meter_tcp_connections_opened_total'), 1)
})

t.test('the drain: not ready, no new connections, open ones go on until they end', async (t) => {
  const meter = await tcpMeter(t, await startTcpApp(t, counter))
  const socket = await rawConnection(t, meter.proxyAddress.port, { allowHalfOpen: true })
  const answer = receivedUntilEnd(socket, "the app's answer during the drain")
  socket.write('before')
  let stopped = false
  const stopping = meter.stop().then(() => {
    stopped = true
  })
  const readiness = await fetch(`${meter.metricsOrigin}/readyz`)
  t.equal(readiness.status, 503, 'readiness fails while draining')
  const late = connect({ port: meter.proxyAddress.port, host: '127.0.0.1' })
  let refused = false
  late.on('error', (error: NodeJS.ErrnoException) => {
    refused = error.code === 'ECONNREFUSED'
  })
  await watchClose(late, 'a new connection to be refused').closed()
  t.ok(refused, 'new connections are refused')
  t.notOk(stopped, 'the open connection holds the drain')
  socket.end('after')
  t.equal(await answer, 'read 11 bytes after your FIN', 'it carried on through the drain')
  await within(stopping, { what: 'the drain to end with the last connection' })
})

t.test('the drain timeout cuts connections that do not end', async (t) => {
  const port = await startTcpApp(t, echo)
  const meter = await startTestMeter(t, port, { protocol: 'tcp', drainTimeoutMs: 100 })
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const closed = watchClose(socket, 'the drain timeout to cut the connection')
  await meter.stop()
  await closed.closed()
  t.pass('cut')
})
