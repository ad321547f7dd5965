// The figures of `npm run bench:meter` as it prints them, with the ratios the meter aims at, and
// the run's settings, read once from the environment.
import { availableParallelism, cpus, loadavg } from 'node:os'
import { DURATION_EXAMPLES, parseDuration } from '../src/shared/duration.ts'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
// Durations as every flag takes them (30s, 1m30s), in seconds.
function seconds(name: string, fallback: string): number {
  const ms = parseDuration(process.env[name] ?? fallback)
  if (!ms) throw new Error(`${name} must be a duration such as ${DURATION_EXAMPLES}`)
  return ms / 1000
}
export const ROUNDS = setting('BENCH_ROUNDS', 3)
export const SECONDS = seconds('BENCH_DURATION', '5s')
export const CONNECTIONS = setting('BENCH_CONNECTIONS', 32)
export const RATE = setting('BENCH_RATE', 2000)
export const LATENCY_SECONDS = seconds('BENCH_LATENCY_DURATION', '3s')
export const MEMORY_CONNECTIONS = setting('BENCH_MEMORY_CONNECTIONS', 1000)
export const MEMORY_SECONDS = seconds('BENCH_MEMORY_DURATION', '3s')

export interface Target {
  name: string
  url: string
  /** The process that answers on `url` (with its children, nginx's worker): whose CPU counts. */
  pid: number
}
/** Requests that did not get a 2xx, by how they failed. */
export interface Failures {
  errors: number
  timeouts: number
  non2xx: number
}
export interface Sample {
  rps: number
  p50: number
  p99: number
  /** CPU time of the target's processes per request, in microseconds. */
  cpu: number
  /** The part of `cpu` spent in the kernel. */
  system: number
  /** Requests answered in the measurement. */
  requests: number
  failures: Failures
}
export interface Memory {
  idle: number
  peak: number
  after: number
  failures: Failures
}

export function noFailures(): Failures {
  return { errors: 0, timeouts: 0, non2xx: 0 }
}

export function addFailures(a: Failures, b: Failures): Failures {
  return {
    errors: a.errors + b.errors,
    timeouts: a.timeouts + b.timeouts,
    non2xx: a.non2xx + b.non2xx,
  }
}

export function report(throughput: Map<string, Sample>, latency: Map<string, Sample>) {
  console.log(`\nThroughput: ${CONNECTIONS} connections, ${SECONDS} s, median of ${ROUNDS} rounds`)
  row(['', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'in kernel'])
  for (const [name, s] of throughput)
    row([name, Math.round(s.rps), s.p50, s.p99, s.cpu.toFixed(1), s.system.toFixed(1)])
  console.log(`\nLatency at ${RATE} req/s, ${LATENCY_SECONDS} s, median of ${ROUNDS} rounds`)
  row(['', 'p50 ms', 'p99 ms', 'CPU µs/req', 'in kernel'])
  for (const [name, s] of latency)
    row([name, s.p50.toFixed(3), s.p99.toFixed(3), s.cpu.toFixed(1), s.system.toFixed(1)])
  console.log('(CPU: of the app for direct, of the proxy otherwise; user and kernel time)')
  const rps = (name: string) => throughput.get(name)?.rps ?? Number.NaN
  const cpu = (name: string) => throughput.get(name)?.cpu ?? Number.NaN
  const added = (name: string) =>
    ((latency.get(name)?.p99 ?? Number.NaN) - (latency.get('direct')?.p99 ?? Number.NaN)) * 1000
  console.log('')
  console.log(`meter/direct throughput:   ${(rps('meter') / rps('direct')).toFixed(2)}`)
  if (throughput.has('nginx')) {
    console.log(`nginx/direct throughput:   ${(rps('nginx') / rps('direct')).toFixed(2)}`)
    console.log(
      `meter/nginx throughput:    ${(rps('meter') / rps('nginx')).toFixed(2)} (aim: ≥ 0.80)`,
    )
    console.log(
      `meter/nginx CPU/request:   ${(cpu('meter') / cpu('nginx')).toFixed(2)} (aim: ≤ 1.50)`,
    )
  }
  console.log(`p99 added at ${RATE} req/s: meter ${added('meter').toFixed(0)} µs (aim: < 1000)`)
  if (latency.has('nginx'))
    console.log(`                           nginx ${added('nginx').toFixed(0)} µs`)
}

export function reportMemory(memory: Map<string, Memory>) {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1)
  console.log(`\nResident memory, MB (nginx: master and worker)`)
  row(['', 'idle', `${MEMORY_CONNECTIONS} conns`, 'after'])
  for (const [name, m] of memory) row([name, mb(m.idle), mb(m.peak), mb(m.after)])
  console.log(`(idle: before any load; ${MEMORY_CONNECTIONS} conns: the peak while that many`)
  console.log(
    ` keep-alive connections send as fast as they go for ${MEMORY_SECONDS} s; after: 0.5 s later)`,
  )
}

export function reportFailures(runs: Map<string, Sample>[], memory: Map<string, Memory>) {
  const total = new Map<string, Failures>()
  const add = (name: string, f: Failures) =>
    total.set(name, addFailures(total.get(name) ?? noFailures(), f))
  for (const run of runs) for (const [name, s] of run) add(name, s.failures)
  for (const [name, m] of memory) add(name, m.failures)
  console.log('\nFailed requests, all runs (errors: connections that failed or closed mid-request)')
  row(['', 'errors', 'timeouts', 'non-2xx'])
  for (const [name, f] of total) row([name, f.errors, f.timeouts, f.non2xx])
}

export function printMachine(nginx: string | undefined) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`${availableParallelism()} CPUs (${cpu}), Node ${process.version}`)
  console.log(nginx ?? 'NGINX IS NOT INSTALLED: no comparison with it (see the end of the run)')
  // Other work on the machine takes CPU from all three alike, but lowers every figure.
  printLoad('before')
}

/** The 1, 5 and 15 minute load averages, `when` the run is. */
export function printLoad(when: 'before' | 'after') {
  console.log(
    `load average ${when} the run: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
}

export function printNoNginx() {
  console.log('\nnginx is not installed, so the meter was not compared with it: the aims are')
  console.log('relative to nginx. Install it (Debian: apt-get install -y nginx) and run again.')
}

function row(cells: (string | number)[]) {
  console.log(cells.map((c, i) => String(c).padStart(i ? 12 : 8)).join(''))
}
