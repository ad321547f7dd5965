// Every protocol's /metrics, after real traffic, passes `promtool check metrics`, Prometheus'
// own linter of the exposition format and its naming conventions (units in names, `_total` on
// counters only, help on every metric): the process metrics included.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import type { MeterConfig } from '../../src/meter/config.ts'
import { within } from '../helpers/eventually.ts'
import { rawConnection, receivedUntilEnd } from '../helpers/raw-sockets.ts'
import { echoClient, startGrpcApp, streamed, unary } from './grpc-app.ts'
import { portOf, startApp, startTestMeter, type TestMeter } from './harness.ts'

interface Check {
  code: number | null
  output: string
}

// promtool is a test requirement, like kubectl (Debian and Ubuntu: `apt-get install
// prometheus`; elsewhere the Prometheus release archive has it); where it is missing, say so
// rather than fail with `spawn promtool ENOENT`.
async function promtoolCheck(text: string): Promise<Check> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk
  })
  child.stdin.on('error', () => {}) // reported by the exit, or by the spawn error below
  child.stdin.end(text)
  try {
    const [code] = (await within(once(child, 'close'), { what: 'promtool to finish' })) as [
      number | null,
    ]
    return { code, output }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new Error(
      "promtool is needed to check the meter's /metrics and is not on the PATH; install it " +
        '(Debian, Ubuntu: apt-get install prometheus; or promtool from a Prometheus release)',
      { cause: error },
    )
  }
}

async function metricsText(meter: TestMeter): Promise<string> {
  const response = await request(`${meter.metricsOrigin}/metrics`)
  return response.body.text()
}

async function checked(t: Test, meter: TestMeter, family: string): Promise<void> {
  const text = await metricsText(meter)
  t.match(text, new RegExp(`^meter_${family}_`, 'm'), `the ${family} metrics have samples`)
  t.match(text, /^process_cpu_seconds_total /m, 'with the process metrics')
  const result = await promtoolCheck(text)
  t.same(result, { code: 0, output: '' }, 'promtool check metrics finds nothing')
}

const meterFor = (t: Test, port: number, protocol: MeterConfig['protocol']) =>
  startTestMeter(t, port, { protocol, routes: protocol === 'tcp' ? [] : ['/test.Echo/*'] })

t.test('http: HTTP/1.1 requests', async (t) => {
  const app = await startApp(t, (_req, res) => res.end('ok'))
  const meter = await meterFor(t, portOf(app), 'http')
  await (await request(`${meter.origin}/test.Echo/x`)).body.text()
  await checked(t, meter, 'http')
})

t.test('http2 and grpc: calls that succeed and fail', async (t) => {
  const app = await startGrpcApp(t)
  for (const protocol of ['http2', 'grpc'] as const) {
    const meter = await meterFor(t, app.port, protocol)
    const client = echoClient(t, meter.proxyAddress.port)
    await unary(client, 'Echo', Buffer.from('x'))
    await unary(client, 'Fail', Buffer.from('x'))
    await streamed(client, Buffer.from([3]))
    await checked(t, meter, protocol === 'grpc' ? 'grpc' : 'http')
  }
})

t.test('tcp: a relayed connection', async (t) => {
  const server = createServer((socket: Socket) => socket.pipe(socket)).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const meter = await meterFor(t, (server.address() as { port: number }).port, 'tcp')
  const socket = await rawConnection(t, meter.proxyAddress.port)
  const echoed = receivedUntilEnd(socket, 'the echo')
  socket.end('ping')
  await echoed
  await checked(t, meter, 'tcp')
})
