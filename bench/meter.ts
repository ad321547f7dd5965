// `npm run bench:meter`: what the meter costs. A small app on the loopback is measured directly,
// through the meter and, where nginx is installed, through nginx as a reverse proxy, in rounds
// that alternate between them so that drift in the machine hits all three alike:
//   1. throughput: autocannon with a fixed number of connections, as fast as they go;
//   2. latency at a moderate, fixed request rate, timed to the microsecond (autocannon's
//      histogram counts whole milliseconds, too coarse for what a proxy adds).
// Everything runs on 127.0.0.1 and stops by itself: about ROUNDS x (DURATION + LATENCY_DURATION)
// x 3. Settings come from the environment: BENCH_ROUNDS, BENCH_DURATION (5s), BENCH_CONNECTIONS,
// BENCH_RATE, BENCH_LATENCY_DURATION (3s); durations as every flag takes them (30s, 1m30s).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { Pool, request } from 'undici'
import { DURATION_EXAMPLES, parseDuration } from '../src/shared/duration.ts'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const ROUNDS = setting('BENCH_ROUNDS', 3)
const SECONDS = seconds('BENCH_DURATION', '5s')
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32)
const RATE = setting('BENCH_RATE', 2000)
const LATENCY_SECONDS = seconds('BENCH_LATENCY_DURATION', '3s')
const PATH = '/api/users/42'

function seconds(name: string, fallback: string): number {
  const ms = parseDuration(process.env[name] ?? fallback)
  if (!ms) throw new Error(`${name} must be a duration such as ${DURATION_EXAMPLES}`)
  return ms / 1000
}
const BODY = Buffer.alloc(1024, 'x') // a small JSON-sized answer
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

interface Target {
  name: string
  url: string
  /** The process that answers on `url` (with its children, nginx's worker): whose CPU counts. */
  pid: number
}
interface Sample {
  rps: number
  p50: number
  p99: number
  /** CPU time of the target's processes per request, in microseconds. */
  cpu: number
  /** Requests answered in the measurement. */
  requests: number
}

// The upstream app runs in a process of its own, so that it competes for the CPUs as an app in
// a Pod would, rather than sharing the event loop of the load generator.
if (process.argv[2] === 'upstream') {
  createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length })
    res.end(BODY)
  }).listen(Number(process.argv[3]), '127.0.0.1')
} else {
  await main()
}

async function main() {
  const [appPort, meterPort, metricsPort, nginxPort] = await freePorts(4)
  const children: ChildProcess[] = []
  const scratch = mkdtempSync(join(tmpdir(), 'bench-nginx-'))
  // SIGTERM, not SIGKILL: nginx's master stops its worker only when it is asked.
  process.on('exit', () => {
    for (const child of children) child.kill('SIGTERM')
    rmSync(scratch, { recursive: true, force: true })
  })
  const start = (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] })
    children.push(child)
    return child.pid ?? 0
  }
  const root = new URL('../', import.meta.url).pathname
  const app = start(process.execPath, [join(root, 'bench/meter.ts'), 'upstream', String(appPort)])
  const meter = start(process.execPath, [
    join(root, 'bin/sidecar-patterns.js'),
    ...['meter', '--listen', `127.0.0.1:${meterPort}`, '--upstream', `http://127.0.0.1:${appPort}`],
    ...['--metrics-port', String(metricsPort), '--log-level', 'warn'],
    ...['--route', '/api/orders/:id', '--route', '/static/*', '--route', '/api/users/:id'],
  ])
  const targets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${appPort}${PATH}`, pid: app },
    { name: 'meter', url: `http://127.0.0.1:${meterPort}${PATH}`, pid: meter },
  ]
  const nginx = nginxVersion()
  if (nginx) {
    const pid = start('nginx', nginxArgs(scratch, Number(appPort), Number(nginxPort)))
    targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginxPort}${PATH}`, pid })
  }
  for (const target of targets) await ready(target.url)
  printMachine(nginx)
  const throughput = await rounds(targets, saturate, (s) => s.rps)
  const latency = await rounds(targets, paced, (s) => s.p99)
  report(throughput, latency)
  for (const child of children) child.kill('SIGTERM')
}

/** Measures each target ROUNDS times and keeps, per target, the round with the median `key`. */
async function rounds(
  targets: Target[],
  measure: (url: string) => Promise<Omit<Sample, 'cpu'>>,
  key: (sample: Sample) => number,
) {
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the next target, so none always runs first on a cold machine.
    const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target)
    for (const target of order) {
      const before = cpuSeconds(target.pid)
      const sample = await measure(target.url)
      const cpu = ((cpuSeconds(target.pid) - before) * 1e6) / sample.requests
      samples.get(target.name)?.push({ ...sample, cpu })
    }
  }
  return new Map([...samples].map(([name, list]) => [name, median(list, key)] as const))
}

async function saturate(url: string) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS })
  if (result.errors || result.non2xx) throw new Error(`${url}: ${result.errors} errors`)
  // autocannon times in whole milliseconds.
  const { p50, p99 } = result.latency
  return { rps: result.requests.average, p50, p99, requests: result.requests.total }
}

// RATE requests a second, spread over 1 ms ticks, each timed from its start to the end of its
// body in nanoseconds; reported in milliseconds.
async function paced(url: string) {
  const { origin, pathname } = new URL(url)
  const pool = new Pool(origin, { connections: 16 })
  const histogram = createHistogram()
  const started = performance.now()
  const pending = new Set<Promise<void>>()
  let sent = 0
  while (performance.now() - started < LATENCY_SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) * RATE) / 1000)
    for (; sent < due; sent++) {
      const t0 = process.hrtime.bigint()
      const one = pool
        .request({ path: pathname, method: 'GET' })
        .then((response) => response.body.dump())
        .then(() => histogram.record(process.hrtime.bigint() - t0))
      pending.add(one)
      one.finally(() => pending.delete(one))
    }
    await sleep(1)
  }
  await Promise.all(pending)
  await pool.close()
  const ms = (p: number) => histogram.percentile(p) / 1e6
  return { rps: 0, p50: ms(50), p99: ms(99), requests: sent }
}

function report(throughput: Map<string, Sample>, latency: Map<string, Sample>) {
  const row = (cells: (string | number)[]) =>
    console.log(cells.map((c, i) => String(c).padStart(i ? 12 : 8)).join(''))
  console.log(`\nThroughput: ${CONNECTIONS} connections, ${SECONDS} s, median of ${ROUNDS} rounds`)
  row(['', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req'])
  for (const [name, s] of throughput) row([name, Math.round(s.rps), s.p50, s.p99, s.cpu.toFixed(1)])
  console.log(`\nLatency at ${RATE} req/s, ${LATENCY_SECONDS} s, median of ${ROUNDS} rounds`)
  row(['', 'p50 ms', 'p99 ms', 'CPU µs/req'])
  for (const [name, s] of latency) row([name, s.p50.toFixed(3), s.p99.toFixed(3), s.cpu.toFixed(1)])
  console.log('(CPU: of the app for direct, of the proxy otherwise; user and system time)')
  const rps = (name: string) => throughput.get(name)?.rps ?? Number.NaN
  const p99 = (name: string) => latency.get(name)?.p99 ?? Number.NaN
  console.log('')
  console.log(`meter/direct throughput: ${(rps('meter') / rps('direct')).toFixed(2)}`)
  if (throughput.has('nginx')) {
    console.log(`nginx/direct throughput: ${(rps('nginx') / rps('direct')).toFixed(2)}`)
    console.log(`meter/nginx throughput:  ${(rps('meter') / rps('nginx')).toFixed(2)} (aim: 0.80)`)
  }
  const added = (p99('meter') - p99('direct')) * 1000
  console.log(`p99 added by the meter at ${RATE} req/s: ${added.toFixed(0)} µs (aim: < 1000)`)
  if (latency.has('nginx'))
    console.log(`p99 added by nginx: ${((p99('nginx') - p99('direct')) * 1000).toFixed(0)} µs`)
}

// nginx as the usual reverse proxy: one worker (the meter is one thread), keep-alive to the app,
// X-Forwarded-For added, no access log (the meter writes none either).
function nginxArgs(dir: string, appPort: number, port: number): string[] {
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  upstream app { server 127.0.0.1:${appPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  )
  return ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')]
}

// `nginx -v` prints to stderr; no nginx on the PATH means no comparison.
function nginxVersion(): string | undefined {
  const { stderr, error } = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
  return error ? undefined : stderr.trim().replace('nginx version: ', '')
}

function printMachine(nginx: string | undefined) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`${availableParallelism()} CPUs (${cpu}), Node ${process.version}`)
  console.log(nginx ?? 'nginx is not installed: no comparison with it')
  // Other work on the machine takes CPU from all three alike, but lowers every figure.
  console.log(`load average before the run: ${loadavg()[0]?.toFixed(2)}`)
}

// Linux's /proc: user and system time of a process and its children, in seconds. The fields
// after the command name (which may hold spaces) start with the state; utime and stime are the
// 12th and 13th of them, the parent's pid the 2nd.
function cpuSeconds(pid: number): number {
  const stat = (p: string) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    } catch {
      return [] // gone between listing and reading
    }
  }
  const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && stat(p)[1] === String(pid))
  const ticks = [String(pid), ...children]
    .map(stat)
    .reduce((sum, f) => sum + Number(f[11] ?? 0) + Number(f[12] ?? 0), 0)
  return ticks / TICKS
}

async function ready(url: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const response = await request(url)
      await response.body.dump()
      if (response.statusCode === 200) return
    } catch {}
    await sleep(100)
  }
  throw new Error(`${url} did not answer 200 within 10 s`)
}

async function freePorts(count: number): Promise<string[]> {
  const servers = Array.from({ length: count }, () => createNetServer().listen(0, '127.0.0.1'))
  await Promise.all(servers.map((s) => once(s, 'listening')))
  const ports = servers.map((s) => String((s.address() as AddressInfo).port))
  for (const s of servers) s.close()
  return ports
}

function median<T>(list: T[], key: (item: T) => number): T {
  const sorted = [...list].sort((a, b) => key(a) - key(b))
  return sorted[Math.floor(sorted.length / 2)] as T
}
