// `npm run bench:meter`: what the meter costs. A small app on the loopback is measured directly,
// through the meter and, where nginx is installed, through nginx as a reverse proxy configured
// to match the meter (bench/nginx.ts), in rounds that alternate between them so that drift in
// the machine hits all three alike:
//   1. throughput: autocannon with a fixed number of connections, as fast as they go;
//   2. latency at a moderate, fixed request rate, timed to the microsecond (autocannon's
//      histogram counts whole milliseconds, too coarse for what a proxy adds);
//   3. memory of each proxy: resident, idle and at its peak under MEMORY_CONNECTIONS connections.
// Failed requests are counted per target and reported, never fatal: one connection reset must
// not throw away a run. Everything runs on 127.0.0.1 and stops by itself: about
// ROUNDS x (DURATION + LATENCY_DURATION) x 3 + 2 x MEMORY_DURATION. Settings come from the
// environment: BENCH_ROUNDS, BENCH_DURATION (5s), BENCH_CONNECTIONS, BENCH_RATE,
// BENCH_LATENCY_DURATION (3s), BENCH_MEMORY_CONNECTIONS, BENCH_MEMORY_DURATION (3s); durations
// as every flag takes them (30s, 1m30s).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon, { type Result } from 'autocannon'
import { Pool } from 'undici'
import { freePorts, ready } from './loopback.ts'
import {
  addFailures,
  CONNECTIONS,
  type Failures,
  LATENCY_SECONDS,
  MEMORY_CONNECTIONS,
  MEMORY_SECONDS,
  type Memory,
  noFailures,
  printLoad,
  printMachine,
  printNoNginx,
  RATE,
  ROUNDS,
  report,
  reportFailures,
  reportMemory,
  type Sample,
  SECONDS,
  type Target,
} from './meter-report.ts'
import { nginxArgs, nginxVersion } from './nginx.ts'
import { cpuSeconds, rssBytes } from './proc.ts'

const PATH = '/api/users/42'

await main()

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
  const app = start(process.execPath, [join(root, 'bench/app.ts'), String(appPort)])
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
  const idle = new Map(targets.map((t) => [t.name, rssBytes(t.pid)]))
  const throughput = await rounds(targets, saturate, (s) => s.rps)
  const latency = await rounds(targets, paced, (s) => s.p99)
  const memory = new Map<string, Memory>()
  for (const target of targets.filter((t) => t.name !== 'direct'))
    memory.set(target.name, { idle: idle.get(target.name) ?? 0, ...(await crowd(target)) })
  report(throughput, latency)
  reportMemory(memory)
  reportFailures([throughput, latency], memory)
  printLoad('after')
  if (!nginx) printNoNginx()
  for (const child of children) child.kill('SIGTERM')
}

/**
 * Measures each target ROUNDS times and keeps, per target, the round with the median `key`, with
 * the failures of all its rounds.
 */
async function rounds(
  targets: Target[],
  measure: (url: string) => Promise<Omit<Sample, 'cpu' | 'system'>>,
  key: (sample: Sample) => number,
) {
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the next target, so none always runs first on a cold machine.
    const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target)
    for (const target of order) {
      const before = cpuSeconds(target.pid)
      const sample = await measure(target.url)
      const after = cpuSeconds(target.pid)
      const perRequest = (seconds: number) => (seconds * 1e6) / sample.requests
      const system = perRequest(after.system - before.system)
      const cpu = perRequest(after.user - before.user) + system
      samples.get(target.name)?.push({ ...sample, cpu, system })
    }
  }
  return new Map(
    [...samples].map(([name, list]) => {
      const failures = list.reduce((sum, s) => addFailures(sum, s.failures), noFailures())
      return [name, { ...median(list, key), failures }] as const
    }),
  )
}

async function saturate(url: string) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS })
  // autocannon times in whole milliseconds.
  const { p50, p99 } = result.latency
  const requests = result.requests.total
  return { rps: result.requests.average, p50, p99, requests, failures: failuresOf(result) }
}

// RATE requests a second, spread over 1 ms ticks, each timed from its start to the end of its
// body in nanoseconds; reported in milliseconds. Failed requests are counted, not timed.
async function paced(url: string) {
  const { origin, pathname } = new URL(url)
  const pool = new Pool(origin, { connections: 16 })
  const histogram = createHistogram()
  const failures = noFailures()
  const started = performance.now()
  const pending = new Set<Promise<void>>()
  let sent = 0
  while (performance.now() - started < LATENCY_SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) * RATE) / 1000)
    for (; sent < due; sent++) {
      const t0 = process.hrtime.bigint()
      const one = pool.request({ path: pathname, method: 'GET' }).then(
        async (response) => {
          await response.body.dump()
          if (response.statusCode >= 300) failures.non2xx++
          else histogram.record(process.hrtime.bigint() - t0)
        },
        () => {
          failures.errors++
        },
      )
      pending.add(one)
      one.finally(() => pending.delete(one))
    }
    await sleep(1)
  }
  await Promise.all(pending)
  await pool.close()
  const ms = (p: number) => histogram.percentile(p) / 1e6
  return { rps: 0, p50: ms(50), p99: ms(99), requests: sent, failures }
}

/** The target's resident memory at its peak under MEMORY_CONNECTIONS busy keep-alive
 *  connections, sampled every 100 ms, and once they have closed. */
async function crowd(target: Target): Promise<Omit<Memory, 'idle'>> {
  let peak = rssBytes(target.pid)
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(target.pid))
  }, 100)
  const result = await autocannon({
    url: target.url,
    connections: MEMORY_CONNECTIONS,
    duration: MEMORY_SECONDS,
  })
  clearInterval(sampler)
  await sleep(500) // for the connections to close
  return { peak, after: rssBytes(target.pid), failures: failuresOf(result) }
}

// autocannon counts timeouts among its errors.
function failuresOf(result: Result): Failures {
  const { errors, timeouts, non2xx } = result
  return { errors: errors - timeouts, timeouts, non2xx }
}

function median<T>(list: T[], key: (item: T) => number): T {
  const sorted = [...list].sort((a, b) => key(a) - key(b))
  return sorted[Math.floor(sorted.length / 2)] as T
}
