// Real sockets on 127.0.0.1 for the meter's tests: an app to put behind it, a meter started
// in-process with a silent logger and stopped at the end of the test, and its /metrics read
// back as numbers.
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { pino } from 'pino'
import type { Test } from 'tap'
import { request } from 'undici'
import type { MeterConfig } from '../../src/meter/config.ts'
import type { ClientLimits } from '../../src/meter/limits.ts'
import { type RunningMeter, startMeter } from '../../src/meter/meter.ts'

/** An HTTP server on an ephemeral loopback port, closed (connections and all) at teardown. */
export async function startApp(t: Test, handler: RequestListener): Promise<Server> {
  const server = createServer(handler).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return server
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port
}

/**
 * A loopback port that refuses connections for the whole test. A port the OS just handed out
 * and took back is not enough: another test's listen(0) can take it again, and a client's own
 * port can be it (a connection to itself on loopback); either answers where a refusal was meant
 * (a CI run once got a 502 with the wrong reason). So the port lies below the kernel's ephemeral
 * range, where neither choice falls, and is checked to refuse.
 */
export async function closedPort(): Promise<number> {
  const low = ephemeralRangeStart()
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = LOWEST_CLOSED + Math.floor(Math.random() * (low - LOWEST_CLOSED))
    if (await refuses(port)) return port
  }
  throw new Error(`no port in ${LOWEST_CLOSED}-${low - 1} on 127.0.0.1 refused connections`)
}

const LOWEST_CLOSED = 10_000

function ephemeralRangeStart(): number {
  try {
    const start = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    )
    if (Number.isInteger(start) && start > LOWEST_CLOSED + 100) return start
  } catch {}
  return 32_768 // Linux's default, and where /proc is not there to ask
}

/** Whether a connection to the loopback port is refused. */
export async function refuses(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1')
  try {
    await once(socket, 'connect')
    socket.destroy()
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED'
  }
}

export interface TestMeter extends RunningMeter {
  /** http://127.0.0.1:PORT of the proxy. */
  origin: string
  /** http://127.0.0.1:PORT of the metrics port. */
  metricsOrigin: string
}

/** A meter in front of `upstreamPort`, stopped at teardown; `limits` shortens its deadlines. */
export async function startTestMeter(
  t: Test,
  upstreamPort: number,
  overrides: Partial<MeterConfig> = {},
  limits: Partial<ClientLimits> = {},
): Promise<TestMeter> {
  const config: MeterConfig = {
    protocol: 'http',
    listen: { host: '127.0.0.1', port: 0 },
    upstream: `http://127.0.0.1:${upstreamPort}`,
    metricsPort: 0,
    routes: [],
    upstreamTimeoutMs: 10_000,
    drainTimeoutMs: 5_000,
    logLevel: 'silent',
    ...overrides,
  }
  const meter = await startMeter(Object.freeze(config), pino({ level: 'silent' }), limits)
  t.teardown(() => meter.stop())
  return {
    ...meter,
    origin: `http://127.0.0.1:${meter.proxyAddress.port}`,
    metricsOrigin: `http://127.0.0.1:${meter.metricsAddress.port}`,
  }
}

/** One sample of the Prometheus text format: a name, its labels and its value. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Reads the meter's /metrics over HTTP and parses the samples. */
export async function scrape(meter: TestMeter): Promise<Sample[]> {
  const response = await request(`${meter.metricsOrigin}/metrics`)
  const text = await response.body.text()
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (!match) throw new Error(`not a sample: ${line}`)
      const labels: Record<string, string> = {}
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[key as string] = value as string
      return { name: match[1] as string, labels, value: Number(match[3]) }
    })
}

/** The value of the sample named `name` whose labels include `labels`; 0 if there is none. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )
  return found?.value ?? 0
}
