// `--protocol=grpc`: real gRPC calls (@grpc/grpc-js on both sides) through the meter, and what
// it then says about them: unary and server-streaming calls counted once with their grpc-status
// (from the trailers, or the head of a trailers-only answer), bytes each way, a cancellation
// passed on to the app, an app that cannot be reached answered UNAVAILABLE.
import { once } from 'node:events'
import { connect as h2connect } from 'node:http2'
import t, { type Test } from 'tap'
import { until, within } from '../helpers/eventually.ts'
import { echoClient, grpc, startGrpcApp, streamed, unary } from './grpc-app.ts'
import { closedPort, type Sample, sampleValue, scrape, startTestMeter } from './harness.ts'

const grpcMeter = (t: Test, port: number, routes: string[] = []) =>
  startTestMeter(t, port, { protocol: 'grpc', routes })

const calls = (samples: Sample[], labels: Record<string, string>) =>
  sampleValue(samples, 'meter_grpc_requests_total', { method: 'POST', ...labels })

/** The meter's metrics once no call is in flight. */
async function settled(meter: Parameters<typeof scrape>[0]) {
  return until(
    async () => {
      const samples = await scrape(meter)
      return sampleValue(samples, 'meter_grpc_requests_in_flight') === 0 && samples
    },
    { what: 'the meter to count every call' },
  )
}

t.test('a unary call passes through, counted with its status, route and bytes', async (t) => {
  const app = await startGrpcApp(t)
  const meter = await grpcMeter(t, app.port)
  const client = echoClient(t, meter.proxyAddress.port)
  const { response } = await unary(client, 'Echo', Buffer.from('hello'))
  t.equal(String(response), 'hello')
  const samples = await settled(meter)
  const echo = { route: '/test.Echo/Echo' }
  t.equal(calls(samples, { ...echo, status_class: '2xx', grpc_status: 'OK' }), 1)
  t.equal(sampleValue(samples, 'meter_grpc_request_duration_seconds_count', echo), 1)
  // Each message is framed with 5 bytes: a compression flag and a length.
  t.equal(sampleValue(samples, 'meter_grpc_request_bytes_total', echo), 10)
  t.equal(sampleValue(samples, 'meter_grpc_response_bytes_total', echo), 10)
})

t.test('a server-streaming call is counted once, with every message in its bytes', async (t) => {
  const app = await startGrpcApp(t)
  const meter = await grpcMeter(t, app.port)
  const client = echoClient(t, meter.proxyAddress.port)
  const { messages, status } = await streamed(client, Buffer.from([5, 1, 2]))
  t.equal(messages.length, 5)
  t.equal(status.code, grpc.status.OK)
  const samples = await settled(meter)
  const repeat = { route: '/test.Echo/Repeat' }
  t.equal(calls(samples, { ...repeat, grpc_status: 'OK' }), 1, 'once, not once per message')
  t.equal(sampleValue(samples, 'meter_grpc_request_duration_seconds_count', repeat), 1)
  t.equal(sampleValue(samples, 'meter_grpc_response_bytes_total', repeat), 5 * 8)
})

t.test('error statuses reach the client and the metrics, in trailers or alone', async (t) => {
  const app = await startGrpcApp(t)
  const meter = await grpcMeter(t, app.port)
  const client = echoClient(t, meter.proxyAddress.port)
  const { error } = await unary(client, 'Fail', Buffer.from('x'))
  t.equal(error?.code, grpc.status.NOT_FOUND)
  t.equal(error?.details, 'no such thing', 'grpc-message passes unchanged')
  const { messages, status } = await streamed(client, Buffer.from([11]))
  t.equal(messages.length, 2, 'the messages before the error arrive')
  t.equal(status.code, grpc.status.RESOURCE_EXHAUSTED, 'then the status, in the trailers')
  const samples = await settled(meter)
  t.equal(calls(samples, { route: '/test.Echo/Fail', grpc_status: 'NOT_FOUND' }), 1)
  t.equal(calls(samples, { route: '/test.Echo/Repeat', grpc_status: 'RESOURCE_EXHAUSTED' }), 1)
  t.equal(calls(samples, { route: '/test.Echo/Fail', status_class: '2xx' }), 1, 'HTTP said 200')
})

t.test('a cancelled call is cancelled at the app too, and counted as an abort', async (t) => {
  const app = await startGrpcApp(t)
  const meter = await grpcMeter(t, app.port)
  const client = echoClient(t, meter.proxyAddress.port)
  const call = client.Hang(Buffer.from('x')) as grpc.ClientReadableStream<Buffer>
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve))
  call.on('error', () => {})
  await within(app.hangArrived, { what: 'the call to reach the app' })
  call.cancel()
  t.equal((await ended).code, grpc.status.CANCELLED)
  await within(app.hangCancelled, { what: 'the app to see the call cancelled' })
  const samples = await settled(meter)
  t.equal(sampleValue(samples, 'meter_grpc_client_aborts_total', { route: '/test.Echo/Hang' }), 1)
  t.equal(calls(samples, { route: '/test.Echo/Hang' }), 0, 'not a completed call')
})

t.test('an app that is not there: UNAVAILABLE, counted as the app failing', async (t) => {
  const meter = await grpcMeter(t, await closedPort())
  const client = echoClient(t, meter.proxyAddress.port)
  const { error } = await unary(client, 'Echo', Buffer.from('x'))
  t.equal(error?.code, grpc.status.UNAVAILABLE)
  t.equal(error?.details, 'the app is not accepting connections.')
  const samples = await settled(meter)
  t.equal(calls(samples, { route: '/test.Echo/Echo', grpc_status: 'UNAVAILABLE' }), 1)
  t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'connect' }), 1)
})

t.test('templates name the routes; without them, method paths up to a cap', async (t) => {
  const app = await startGrpcApp(t)
  const templated = await grpcMeter(t, app.port, ['/test.Echo/*'])
  await unary(echoClient(t, templated.proxyAddress.port), 'Echo', Buffer.from('x'))
  t.equal(calls(await settled(templated), { route: '/test.Echo/*', grpc_status: 'OK' }), 1)

  const open = await grpcMeter(t, app.port)
  const session = h2connect(`http://127.0.0.1:${open.proxyAddress.port}`)
  t.teardown(() => session.destroy())
  const paths = [
    ...Array.from({ length: 150 }, (_, i) => `/made.Up/M${i}`),
    '/test.Echo/Echo?token=secret',
    '/a/b/c',
  ]
  for (const path of paths) {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
    })
    stream.end()
    stream.resume()
    await once(stream, 'close')
  }
  const samples = await settled(open)
  const routes = new Set(
    samples.filter((s) => s.name === 'meter_grpc_requests_total').map((s) => s.labels.route),
  )
  t.equal(routes.size, 101, 'a hundred method paths, and other')
  t.ok(routes.has('other'))
  t.notOk(
    [...routes].some((r) => r?.includes('?') || r === '/a/b/c'),
    'no path that is no method',
  )
  t.equal(calls(samples, { route: '/made.Up/M0', grpc_status: 'UNIMPLEMENTED' }), 1)
  t.equal(calls(samples, { route: 'other', grpc_status: 'UNIMPLEMENTED' }), 52)
})
