// A port that cannot be opened is a failed start: `serve` and `meter` exit 1, promptly, saying
// which listener and which address, and stop what they had started (watches, timers) rather than
// stay up without listening. serve runs here as in a Pod, with everything that keeps a process
// alive already started: the catalog's file watch, the certificate manager's timer and the
// namespace watch against a fake API server.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BIN } from '../helpers/cli.ts'
import { within } from '../helpers/eventually.ts'
import { fakeCluster } from '../tls/support.ts'

/** A port on 127.0.0.1 that something else holds until `t` ends. */
async function takenPort(t: Test): Promise<number> {
  const holder = createServer().listen(0, '127.0.0.1')
  await once(holder, 'listening')
  t.teardown(() => holder.close())
  return (holder.address() as AddressInfo).port
}

interface Ended {
  code: number | null
  signal: string | null
  stderr: string
}

/** Runs the binary with `args`; resolves when it has exited and its output is closed. */
async function runToExit(t: Test, args: string[]): Promise<Ended> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  // A new Node process that may generate a CA first: generous, and only turns a hang (the bug:
  // up, not listening, its watches running) into a failure that says so.
  const [code, signal] = await within(once(child, 'close'), {
    what: () => `${args[0]} to exit after failing to listen (stderr so far: ${stderr || 'none'})`,
    timeoutMs: 30_000,
  })
  return { code, signal, stderr }
}

/** serve --tls-mode secret with a catalog file and a kubeconfig, on loopback; `ports` last. */
async function serveArgs(t: Test, ports: string[]): Promise<string[]> {
  const api = await fakeCluster(t)
  api.createNamespace('sidecar-patterns')
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-ports-'))
  const kubeconfig = join(dir, 'kubeconfig')
  await writeFile(kubeconfig, api.kubeConfig().exportConfig())
  const catalog = join(dir, 'catalog.yaml')
  await writeFile(catalog, 'sidecars: []\n')
  const common = ['--host', '127.0.0.1', '--shutdown-delay', '0s', '--tls-mode', 'secret']
  return ['serve', ...common, '--kubeconfig', kubeconfig, '--config', catalog, ...ports]
}

t.test('serve exits 1 when its webhook HTTPS port is taken, naming it', async (t) => {
  const port = await takenPort(t)
  const ended = await runToExit(
    t,
    await serveArgs(t, ['--port', String(port), '--metrics-port', '0']),
  )
  t.match(ended, { code: 1, signal: null })
  t.match(
    ended.stderr,
    `error: cannot open the webhook HTTPS port 127.0.0.1:${port} (--port): address already in use (EADDRINUSE)`,
  )
  t.notMatch(ended.stderr, /still running/, 'it stopped by itself, nothing left open')
})

t.test('serve exits 1 when its metrics port is taken, naming it', async (t) => {
  const port = await takenPort(t)
  const ended = await runToExit(
    t,
    await serveArgs(t, ['--port', '0', '--metrics-port', String(port)]),
  )
  t.match(ended, { code: 1, signal: null })
  t.match(
    ended.stderr,
    `error: cannot open the metrics port 127.0.0.1:${port} (--metrics-port): address already in use (EADDRINUSE)`,
  )
  t.notMatch(ended.stderr, /still running/, 'it stopped by itself, nothing left open')
})

t.test('meter exits 1 when either of its ports is taken, naming it', async (t) => {
  const port = await takenPort(t)
  const upstream = `http://127.0.0.1:${await takenPort(t)}`
  const proxyTaken = await runToExit(t, [
    'meter',
    ...['--listen', `127.0.0.1:${port}`, '--metrics-port', '0', '--upstream', upstream],
  ])
  t.match(proxyTaken, { code: 1, signal: null })
  t.match(
    proxyTaken.stderr,
    `error: cannot open the proxy port 127.0.0.1:${port} (--listen): address already in use (EADDRINUSE)`,
  )
  const metricsTaken = await runToExit(t, [
    'meter',
    ...['--listen', '127.0.0.1:0', '--metrics-port', String(port), '--upstream', upstream],
  ])
  t.match(metricsTaken, { code: 1, signal: null })
  t.match(
    metricsTaken.stderr,
    `error: cannot open the metrics port 127.0.0.1:${port} (--metrics-port): address already in use (EADDRINUSE)`,
  )
})
