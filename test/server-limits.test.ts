// What a connection may cost the webhook, whoever opens it: the TLS handshake, the request head
// and the whole request each have a deadline, an idle kept-alive connection is closed only after
// the API server would have closed it itself, and the number of connections is capped. The
// deadlines are shortened here, as options.
import { once } from 'node:events'
import { connect, type TLSSocket } from 'node:tls'
import { Registry } from 'prom-client'
import t from 'tap'
import { startMetricsServer } from '../src/observability/metrics-server.ts'
import {
  CONNECTION_LIMITS,
  HEAD_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  METRICS_MAX_CONNECTIONS,
  REQUEST_TIMEOUT_MS,
} from '../src/server-limits.ts'
import { until, within } from './helpers/eventually.ts'
import { type RunningWebhook, startWebhook } from './helpers/https.ts'
import { rawConnection, watchClose } from './helpers/raw-sockets.ts'

const SHORT = {
  handshakeTimeoutMs: 200,
  headTimeoutMs: 200,
  requestTimeoutMs: 400,
  keepAliveTimeoutMs: 200,
  checkIntervalMs: 50,
}

/** A TLS connection to the webhook that trusts its CA, handshake done, destroyed at teardown. */
async function tlsConnection(t: Parameters<typeof startWebhook>[0], webhook: RunningWebhook) {
  const socket = connect({ host: '127.0.0.1', port: webhook.port, ca: webhook.ca })
  t.teardown(() => socket.destroy())
  await within(once(socket, 'secureConnect'), { what: 'a TLS connection to the webhook' })
  return socket
}

const askHealth = (socket: TLSSocket) =>
  socket.write('GET /healthz HTTP/1.1\r\nHost: webhook\r\n\r\n')

t.test('a head that is never finished gets a 408 and its connection is closed', async (t) => {
  const webhook = await startWebhook(t, { limits: SHORT })
  const socket = await tlsConnection(t, webhook)
  const closed = watchClose(socket, 'the webhook to close a connection with half a head')
  socket.write('POST /mutate HTTP/1.1\r\nHost: webhook\r\nContent-Type: appl')
  t.match(await closed.closed(), /^HTTP\/1\.1 408 /)
})

t.test('a body that stops arriving gets a 408 at the request deadline', async (t) => {
  const webhook = await startWebhook(t, { limits: SHORT })
  const socket = await tlsConnection(t, webhook)
  const closed = watchClose(socket, 'the webhook to close a connection with half a body')
  socket.write(
    'POST /mutate HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n{"apiVersion":',
  )
  t.match(await closed.closed(), /^HTTP\/1\.1 408 /)
})

t.test('a connection that never starts its TLS handshake is closed', async (t) => {
  const webhook = await startWebhook(t, { limits: SHORT })
  const socket = await rawConnection(t, webhook.port)
  const closed = watchClose(socket, 'the webhook to close a connection without a handshake')
  t.equal(await closed.closed(), '', 'closed without a word')
})

t.test('an idle kept-alive connection is closed after the keep-alive timeout', async (t) => {
  const webhook = await startWebhook(t, { limits: SHORT })
  const socket = await tlsConnection(t, webhook)
  const closed = watchClose(socket, 'the webhook to close the idle connection')
  askHealth(socket)
  const answer = await closed.closed()
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(answer, /\r\nconnection: keep-alive\r\n/i, 'the webhook had offered to keep it open')
})

t.test('connections beyond the cap are closed at once', async (t) => {
  const webhook = await startWebhook(t, { limits: { maxConnections: 2 } })
  /** A connection that got an answer, or undefined if the webhook closed it first. */
  const served = async () => {
    const socket = connect({ host: '127.0.0.1', port: webhook.port, ca: webhook.ca })
    t.teardown(() => socket.destroy())
    socket.on('error', () => {})
    const answered = new Promise<boolean>((resolve) => {
      socket.once('data', () => resolve(true)).once('close', () => resolve(false))
    })
    socket.once('secureConnect', () => askHealth(socket))
    return (await within(answered, { what: 'an answer or a close' })) ? socket : undefined
  }
  const first = await served()
  t.ok(first && (await served()), 'two connections are served')
  t.equal(await served(), undefined, 'a third is closed unanswered')
  first?.destroy()
  // The webhook learns of the close a moment after the client: until then it still drops.
  await until(served, { what: 'a new connection to be served once one has closed' })
  t.pass('a closed connection makes room for a new one')
})

t.test('the metrics port: a head or a request that never ends, and a cap', async (t) => {
  const registry = new Registry()
  const limits = { ...SHORT, maxConnections: 2 }
  const server = await startMetricsServer(registry, '127.0.0.1', 0, limits)
  t.teardown(() => server.close())
  const partial = await rawConnection(t, server.port)
  const partialClosed = watchClose(partial, 'the metrics port to close half a head')
  partial.write('GET /metrics HTTP/1.1\r\nHost: webhook\r\n')
  const body = await rawConnection(t, server.port)
  const bodyClosed = watchClose(body, 'the metrics port to close a body that never ends')
  body.write('POST /metrics HTTP/1.1\r\nHost: webhook\r\nContent-Length: 100\r\n\r\nx')
  const extra = await rawConnection(t, server.port)
  const extraClosed = watchClose(extra, 'the metrics port to close a third connection')
  t.equal(await extraClosed.closed(), '', 'beyond the cap: closed unanswered')
  t.match(await partialClosed.closed(), /^HTTP\/1\.1 408 /)
  t.match(await bodyClosed.closed(), /^HTTP\/1\.1 404 /, 'answered, then closed at the deadline')
})

t.test(
  'by default: heads 10 s, requests 30 s, idle 95 s, 512 connections (64 for metrics)',
  async (t) => {
    t.match(CONNECTION_LIMITS, {
      headTimeoutMs: HEAD_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: MAX_CONNECTIONS,
    })
    t.same(
      [HEAD_TIMEOUT_MS, REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_CONNECTIONS],
      [10_000, 30_000, 95_000, 512],
    )
    t.equal(METRICS_MAX_CONNECTIONS, 64, 'on the metrics port')
    // The API server's webhook client closes connections idle for 90 s (Go's
    // http.DefaultTransport, which client-go's transports take their IdleConnTimeout from).
    t.ok(KEEP_ALIVE_TIMEOUT_MS > 90_000, 'the API server closes an idle connection first')
  },
)
