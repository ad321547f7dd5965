// `npm run bench`: what injection costs over the bare minimum a webhook must do. In one run, our
// webhook and a bare Fastify server (same TLS settings and body limit, parses the same review,
// answers a constant allowed response with its uid) are loaded alternately with the same three
// realistic Pod reviews over HTTPS keep-alive (HTTP/1.1, as the API server calls webhooks), each
// with a new uid per review as the API server sends them, in two series:
//   template  Pods of one template, as a ReplicaSet's scale-up creates them: the same body but for
//             the uid, so that from the third review on our review memo answers (it keeps an
//             answer from the second sighting of a text);
//   unique    every Pod different (a label numbers them), so that every review is injected anew:
//             the cost of injection itself;
//   1. throughput: autocannon with a fixed, moderate number of connections, as fast as they go;
//   2. latency at a fixed moderate rate, the same for both: a share of the slower server's
//      throughput for that body, so that neither is overloaded and the difference is what a
//      review costs, not a queue. Timed to the microsecond: autocannon's histogram counts whole
//      milliseconds, too coarse for an aim of "p99 within 1 ms".
// Each server runs in a child process of its own and only one is loaded at a time: on a 2-core
// machine the loaded server then has a core to itself and the load generator (this process) the
// other, the same for both. In one process they would share an event loop with the load
// generator and with each other, and measure mostly the contention.
// Rounds are short and many, and each round runs the two servers back to back (which one goes
// first alternates), so a change in the machine's other work hits both alike; figures are medians
// over rounds, and ratios are the medians of each round's own ratio.
// Logging is off in both. Everything runs on 127.0.0.1 and stops by itself, in about
// 12 x ROUNDS x (SECONDS + LATENCY_SECONDS) + 20 seconds. Settings from the environment:
// BENCH_ROUNDS (4), BENCH_SECONDS (2), BENCH_CONNECTIONS (10), BENCH_LATENCY_SECONDS (1.5),
// BENCH_RATE_SHARE (0.3), BENCH_SERIES (template,unique), BENCH_BODIES (small,typical,large),
// BENCH_PROFILE=<dir> (our server writes a --cpu-prof profile there).
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { Pool } from 'undici'
import { loadOrCreate, serviceNames } from '../src/tls/certificates.ts'
import { type BenchBody, benchBodies, reviewTexts, type Series } from './bodies.ts'
import { type ChildServer, startChild } from './servers.ts'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const ROUNDS = setting('BENCH_ROUNDS', 4)
const SECONDS = setting('BENCH_SECONDS', 2)
const CONNECTIONS = setting('BENCH_CONNECTIONS', 10)
const LATENCY_SECONDS = setting('BENCH_LATENCY_SECONDS', 1.5)
const RATE_SHARE = setting('BENCH_RATE_SHARE', 0.3)
const PROFILE = process.env.BENCH_PROFILE
const SERIES = (process.env.BENCH_SERIES ?? 'template,unique').split(',') as Series[]
const BODIES = process.env.BENCH_BODIES?.split(',')
const WARMUP_SECONDS = 1

interface Load {
  /** Body and series, e.g. `small/template`. */
  name: string
  bytes: number
  /** The next review's body: a new uid, and for `unique` a new Pod. */
  next(): string
  /** What ours must inject. */
  sidecars: string[]
}
interface Sample {
  rps: number
  p50: number
  p99: number
  /** The server's CPU time per request, user and system, in microseconds. */
  cpu: number
}
type Server = ChildServer & { origin: string; pool: Pool }
type Results = Map<string, Sample[]> // by `${body} ${server}`

const loadAverage = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')

const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-bench-'))
const { certificate } = await loadOrCreate(dir, serviceNames('sidecar-patterns', 'bench'))
const ca = certificate.ca ?? ''
const profileArgs = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(PROFILE)] : []
const servers: Server[] = []
try {
  for (const [kind, args] of [
    ['ours', profileArgs],
    ['bare', []],
  ] as const) {
    const child = await startChild(kind, certificate, [...args])
    const origin = `https://127.0.0.1:${child.port}`
    const pool = new Pool(origin, { connections: CONNECTIONS, connect: { ca } })
    servers.push({ ...child, origin, pool })
  }
  const bodies = benchBodies().filter((body) => !BODIES || BODIES.includes(body.name))
  await main(SERIES.flatMap((series) => bodies.map((body) => toLoad(body, series))))
} finally {
  for (const server of servers) {
    await server.pool.close()
    await server.close()
  }
  await rm(dir, { recursive: true, force: true })
}

async function main(loads: Load[]) {
  for (const server of servers) for (const load of loads) await verify(server, load)
  printSetup(loads)
  // Other work on the machine skews the figures: say how busy it was.
  const loadBefore = loadAverage()
  for (const load of loads)
    for (const server of servers) await saturate(server, load, WARMUP_SECONDS)
  const throughput = await rounds(loads, (server, load) => saturate(server, load, SECONDS))
  const slower = (l: Load) =>
    Math.min(...servers.map((s) => median(field(throughput, `${l.name} ${s.kind}`, 'rps'))))
  const rates = new Map(loads.map((l) => [l.name, Math.round(slower(l) * RATE_SHARE)]))
  const latency = await rounds(loads, (server, load) =>
    paced(server, load, rates.get(load.name) ?? 100),
  )
  report(loads, throughput, latency, rates)
  console.log(`\nload average (1, 5, 15 min) before ${loadBefore}, after ${loadAverage()}`)
}

function toLoad({ name, review, sidecars }: BenchBody, series: Series): Load {
  const next = reviewTexts(review, series)
  return { name: `${name}/${series}`, bytes: Buffer.byteLength(next()), next, sidecars }
}

/** Both servers answer each body as they should before anything is measured; ours injects. */
async function verify(server: Server, load: Load) {
  const body = load.next()
  const uid = (JSON.parse(body) as { request: { uid: string } }).request.uid
  const answer = await post(server, body)
  const text = await answer.body.text()
  const { response } = JSON.parse(text) as {
    response?: { uid?: string; allowed?: boolean; patch?: string }
  }
  if (answer.statusCode !== 200 || response?.uid !== uid || response.allowed !== true)
    throw new Error(`${server.kind} answered ${load.name} with ${answer.statusCode} ${text}`)
  if (server.kind === 'bare') return
  const patch = Buffer.from(response.patch ?? '', 'base64').toString()
  const injected = load.sidecars.join(',')
  if (!patch.includes(`"${injected}"`))
    throw new Error(`ours did not inject ${injected} into ${load.name}: ${patch}`)
}

function post(server: Server, body: string) {
  return server.pool.request({
    path: '/mutate',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
}

/** Every body and server, ROUNDS times, alternating which server of a pair goes first. */
async function rounds(
  loads: Load[],
  measure: (server: Server, load: Load) => Promise<Sample>,
): Promise<Results> {
  const results: Results = new Map()
  for (let round = 0; round < ROUNDS; round++) {
    for (const load of loads) {
      const pair = round % 2 === 0 ? servers : [...servers].reverse()
      for (const server of pair) {
        const key = `${load.name} ${server.kind}`
        results.set(key, [...(results.get(key) ?? []), await measure(server, load)])
      }
    }
  }
  return results
}

// autocannon never verifies the certificate (its httpClient forces rejectUnauthorized: false),
// so verify() has checked the chain against the generated CA with undici first.
async function saturate(server: Server, load: Load, seconds: number): Promise<Sample> {
  const cpu = await server.cpu()
  const result = await autocannon({
    url: `${server.origin}/mutate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: load.next() }) }],
    connections: CONNECTIONS,
    duration: seconds,
    tlsOptions: { ca },
  })
  const used = (await server.cpu()) - cpu
  if (result.errors || result.timeouts || result.non2xx)
    throw new Error(
      `${server.kind} ${load.name}: ${result.errors} errors, ${result.non2xx} non-2xx`,
    )
  const { requests, latency } = result
  return { rps: requests.average, p50: latency.p50, p99: latency.p99, cpu: used / requests.total }
}

// `rate` requests a second, released on 1 ms ticks over CONNECTIONS keep-alive connections, each
// timed from its release to the end of its answer in nanoseconds (queueing included); reported in
// milliseconds.
async function paced(server: Server, load: Load, rate: number): Promise<Sample> {
  const histogram = createHistogram()
  const cpu = await server.cpu()
  const started = performance.now()
  const pending = new Set<Promise<void>>()
  let sent = 0
  let failed = 0
  while (performance.now() - started < LATENCY_SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) * rate) / 1000)
    for (; sent < due; sent++) {
      const t0 = process.hrtime.bigint()
      const one = post(server, load.next())
        .then(async (answer) => {
          await answer.body.dump()
          if (answer.statusCode !== 200) failed++
          histogram.record(process.hrtime.bigint() - t0)
        })
        .catch(() => void failed++)
      pending.add(one)
      void one.finally(() => pending.delete(one))
    }
    await sleep(1)
  }
  await Promise.all(pending)
  const used = (await server.cpu()) - cpu
  if (failed) throw new Error(`${server.kind} ${load.name}: ${failed} failed requests`)
  const ms = (p: number) => histogram.percentile(p) / 1e6
  return { rps: sent / LATENCY_SECONDS, p50: ms(50), p99: ms(99), cpu: used / sent }
}

function field(results: Results, key: string, name: keyof Sample): number[] {
  return (results.get(key) ?? []).map((sample) => sample[name])
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length / 2
  return Number.isInteger(mid)
    ? ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
    : (sorted[Math.floor(mid)] ?? Number.NaN)
}

/** Per round, `combine(ours, bare)` of one field. */
function paired(results: Results, load: Load, name: keyof Sample, combine: Combine): number[] {
  const bare = field(results, `${load.name} bare`, name)
  return field(results, `${load.name} ours`, name).map((o, i) => combine(o, bare[i] ?? Number.NaN))
}
type Combine = (ours: number, bare: number) => number

function printSetup(loads: Load[]) {
  console.log(
    `Node ${process.version}, ${ROUNDS} rounds; bodies: ${loads.map((l) => `${l.name} ${l.bytes} B`).join(', ')}`,
  )
  console.log(
    `Throughput: autocannon, ${CONNECTIONS} keep-alive HTTPS connections, ${SECONDS} s per body and server per round`,
  )
  console.log(
    `Latency: ${CONNECTIONS} connections at ${RATE_SHARE * 100}% of the slower server's throughput, ${LATENCY_SECONDS} s`,
  )
}

function report(loads: Load[], throughput: Results, latency: Results, rates: Map<string, number>) {
  const row = (cells: (string | number)[]) =>
    console.log(
      cells.map((c, i) => (i < 2 ? String(c).padEnd(i ? 6 : 18) : String(c).padStart(12))).join(''),
    )
  const fixed = (n: number, digits = 2) => n.toFixed(digits)
  console.log(
    `\nMedian of ${ROUNDS} rounds (autocannon p50/p99 in whole ms; paced p50/p99 to the microsecond)`,
  )
  row([
    'body',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    'rate',
    'paced p50',
    'paced p99',
    'paced CPU',
  ])
  for (const load of loads) {
    for (const server of servers) {
      const at = (name: keyof Sample, results = throughput) =>
        median(field(results, `${load.name} ${server.kind}`, name))
      row([
        load.name,
        server.kind,
        Math.round(at('rps')),
        fixed(at('p50'), 1),
        fixed(at('p99'), 1),
        Math.round(at('cpu')),
        rates.get(load.name) ?? '',
        fixed(at('p50', latency), 3),
        fixed(at('p99', latency), 3),
        Math.round(at('cpu', latency)),
      ])
    }
  }
  console.log('\nours / bare, median of the rounds (aim: req/s >= 90%, paced p99 within 1 ms);')
  console.log("by CPU: bare's CPU time per request over ours, the req/s ratio with a core each;")
  console.log('paced CPU+: what a review costs ours beyond bare, in µs, with both at the same rate')
  row(['body', '', 'req/s', 'p99 +ms', 'paced p99+', 'by CPU', 'paced CPU+', '  req/s by round'])
  const ratio: Combine = (ours, bare) => (100 * ours) / bare
  const inverse: Combine = (ours, bare) => (100 * bare) / ours
  const difference: Combine = (ours, bare) => ours - bare
  for (const load of loads) {
    const ratios = paired(throughput, load, 'rps', ratio)
    row([
      load.name,
      '',
      `${fixed(median(ratios), 1)}%`,
      fixed(median(paired(throughput, load, 'p99', difference)), 1),
      fixed(median(paired(latency, load, 'p99', difference)), 3),
      `${fixed(median(paired(throughput, load, 'cpu', inverse)), 1)}%`,
      Math.round(median(paired(latency, load, 'cpu', difference))),
      `  ${ratios.map((r) => `${Math.round(r)}%`).join(' ')}`,
    ])
  }
}
