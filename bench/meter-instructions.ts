// `npm run bench:meter:instructions`: the meter's cost per request in instructions, counted by
// valgrind's callgrind, which gives the same count on a busy machine as on a quiet one (unlike
// CPU time, which a shared machine inflates through cache misses and preemption). The meter runs
// under callgrind with counting off while it starts and warms up (WARMUP requests), then counts
// the next REQUESTS; nginx (one process, master_process off) is counted the same way when it is
// installed. Only user-space instructions are counted: the kernel's share (socket reads and
// writes, about the same for both proxies) is not. Settings from the environment:
// BENCH_REQUESTS (default 10,000), BENCH_WARMUP (20,000: by --trace-opt, V8 has done most of its
// compiling of the meter's path by 15,000 requests; what goes on after is diluted by a longer
// window), BENCH_CONNECTIONS (32).
// Needs valgrind (Debian: apt-get install -y valgrind); slow: a few minutes per target.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { request } from 'undici'
import { COUNT_PATH, freePorts, ready } from './loopback.ts'
import { nginxArgs, nginxVersion } from './nginx.ts'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const REQUESTS = setting('BENCH_REQUESTS', 10_000)
const WARMUP = setting('BENCH_WARMUP', 20_000)
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32)
const PATH = '/api/users/42'

const [appPort = '', meterPort = '', metricsPort = '', nginxPort = ''] = await freePorts(4)
const scratch = mkdtempSync(join(tmpdir(), 'bench-callgrind-'))
const children: ChildProcess[] = []
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM')
  rmSync(scratch, { recursive: true, force: true })
})
const root = new URL('../', import.meta.url).pathname
const start = (command: string, args: string[]) => {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  children.push(child)
  return child
}
start(process.execPath, [join(root, 'bench/app.ts'), appPort])
const meter = [
  process.execPath,
  join(root, 'bin/sidecar-patterns.js'),
  ...['meter', '--listen', `127.0.0.1:${meterPort}`, '--upstream', `http://127.0.0.1:${appPort}`],
  ...['--metrics-port', String(metricsPort), '--log-level', 'warn'],
  ...['--route', '/api/orders/:id', '--route', '/static/*', '--route', '/api/users/:id'],
]
const results: [string, number][] = [['meter', await count('meter', meter, meterPort)]]
if (nginxVersion()) {
  const args = nginxArgs(scratch, Number(appPort), Number(nginxPort))
  const config = join(scratch, 'nginx.conf')
  // One process, so that callgrind follows the worker: the master would fork it.
  writeFileSync(config, `master_process off;\n${readFileSync(config, 'utf8')}`)
  results.push(['nginx', await count('nginx', ['nginx', ...args], nginxPort)])
} else console.log('nginx is not installed: the meter alone is counted')
console.log(`\nInstructions per request (user space), over ${REQUESTS}+ requests after ${WARMUP}`)
for (const [name, perRequest] of results)
  console.log(`${name.padStart(8)}${Math.round(perRequest).toLocaleString('en').padStart(12)}`)
const [, meterCount] = results[0] ?? []
const [, nginxCount] = results[1] ?? []
if (meterCount && nginxCount) console.log(`meter/nginx: ${(meterCount / nginxCount).toFixed(2)}`)
process.exit(0)

/** Instructions per request of the proxy that `command` starts, listening on `port`. */
async function count(name: string, command: string[], port: string): Promise<number> {
  const out = join(scratch, `${name}.callgrind`)
  const [program = '', ...args] = command
  const child = start('valgrind', [
    '--tool=callgrind',
    '-q',
    '--instr-atstart=no',
    `--callgrind-out-file=${out}`,
    program,
    ...args,
  ])
  const url = `http://127.0.0.1:${port}${PATH}`
  await ready(url, 120)
  await load(url, WARMUP)
  // valgrind takes a command when the process next runs, not at once: under a steady load the
  // window is where the app's count of answers was read, right after each command returned.
  const steady = autocannon({ url, connections: CONNECTIONS, duration: 3600 }, () => {})
  control(child, ['--instr=on'])
  const first = await answered()
  let last = first
  while (last - first < REQUESTS) {
    await sleep(200)
    last = await answered()
  }
  control(child, ['--dump'])
  const requests = (await answered()) - first
  steady.stop()
  control(child, ['--kill'])
  await new Promise((resolve) => child.once('exit', resolve))
  const dumps = readdirSync(scratch).filter((f) => f.startsWith(`${name}.callgrind`))
  const total = dumps
    .map((f) => /^summary: (\d+)/m.exec(readFileSync(join(scratch, f), 'utf8'))?.[1] ?? '0')
    .reduce((sum, n) => Math.max(sum, Number(n)), 0)
  return total / requests
}

/** How many requests the app has answered so far. */
async function answered(): Promise<number> {
  const response = await request(`http://127.0.0.1:${appPort}${COUNT_PATH}`)
  return Number(await response.body.text())
}

function control(child: ChildProcess, args: string[]): void {
  const done = spawnSync('callgrind_control', [...args, String(child.pid)], { encoding: 'utf8' })
  if (done.status !== 0) throw new Error(`callgrind_control ${args.join(' ')}: ${done.stderr}`)
}

async function load(url: string, amount: number): Promise<void> {
  const result = await autocannon({ url, connections: CONNECTIONS, amount })
  if (result.errors || result.non2xx)
    console.log(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
}
