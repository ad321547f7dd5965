// stop() leaves nothing running: a watcher in a child process, pointed at the fake API server
// in this one through a kubeconfig file, must exit promptly after stop() and send nothing more,
// whatever it was doing - watching, waiting to reconnect, or waiting to restart after an error.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { type FakeApiServer, startFakeApiServer } from '../helpers/fake-apiserver.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const CHILD = `
import { pino } from 'pino'
import { loadKubeConfig, watchNamespaces } from './src/kube/namespaces.ts'
const backoff = { initialMs: Number(process.env.BACKOFF_MS), maxMs: Number(process.env.BACKOFF_MS) }
const log = pino({ level: 'warn' })
const watcher = watchNamespaces(loadKubeConfig({ kubeconfig: process.env.FAKE_KUBECONFIG }), log, { backoff })
await watcher.start()
process.send('synced')
process.once('message', async () => {
  await watcher.stop()
  process.disconnect()
})
`
// Generous for a loaded CI machine, yet well under the 5 s minimum restart delay used below.
const PROMPT_EXIT_MS = 2500

interface Watcher {
  /** Resolves once the child has logged a line containing `text`. */
  logged(text: string): Promise<void>
  /** Asks the child to stop(); resolves with how long it took to exit. */
  stop(): Promise<{ exitMs: number; code: number | null; stderr: string }>
}

async function spawnWatcher(t: Test, fake: FakeApiServer, backoffMs = 10_000): Promise<Watcher> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-kubeconfig-'))
  const kubeconfig = join(dir, 'config')
  await writeFile(kubeconfig, fake.kubeConfig().exportConfig())
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAKE_KUBECONFIG: kubeconfig,
    BACKOFF_MS: String(backoffMs),
  }
  delete env.KUBERNETES_SERVICE_HOST
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const output = { stdout: '', stderr: '' }
  child.stdout?.on('data', (chunk) => {
    output.stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk
  })
  t.teardown(async () => {
    if (child.exitCode === null) child.kill()
    await rm(dir, { recursive: true, force: true })
  })
  await Promise.race([once(child, 'message'), exited(child, output)])
  return {
    logged: async (text) => {
      while (!output.stdout.includes(text)) await new Promise((r) => setTimeout(r, 10))
    },
    stop: async () => {
      const sent = Date.now()
      child.send('stop')
      const timeout = AbortSignal.timeout(PROMPT_EXIT_MS * 2)
      const [code] = await once(child, 'exit', { signal: timeout })
      return { exitMs: Date.now() - sent, code, stderr: output.stderr }
    },
  }
}

async function exited(child: ChildProcess, output: { stderr: string }): Promise<never> {
  const [code] = await once(child, 'exit')
  throw new Error(`the watcher exited (${code}) before it synced: ${output.stderr}`)
}

// Exiting on its own is the whole proof: an open socket, a pending timer or a watch opened after
// stop() would each hold the child's event loop open (a delay of at least 5 s, or for good).
async function stopsCleanly(t: Test, watcher: Watcher) {
  const { exitMs, code, stderr } = await watcher.stop()
  t.equal(code, 0, 'exits by itself, with no error')
  t.equal(stderr, '', 'no unhandled rejection or warning')
  t.ok(exitMs < PROMPT_EXIT_MS, `exited ${exitMs} ms after stop`)
}

async function setup(t: Test) {
  const fake = await startFakeApiServer()
  t.teardown(() => fake.close())
  fake.createNamespace('default')
  return fake
}

t.test('stop() while watching', async (t) => {
  const fake = await setup(t)
  const watcher = await spawnWatcher(t, fake)
  await stopsCleanly(t, watcher)
})

t.test('stop() while client-node waits out its reconnect delay', async (t) => {
  const fake = await setup(t)
  const watcher = await spawnWatcher(t, fake)
  const dropped = async () => {
    while (fake.dropWatches() === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  // The first re-watch after a clean end is immediate; the second waits 1 s, as no event came.
  await dropped()
  await dropped()
  await stopsCleanly(t, watcher)
})

t.test('stop() while a restart after an error is pending', async (t) => {
  const fake = await setup(t)
  const watcher = await spawnWatcher(t, fake)
  t.equal(fake.dropWatches({ abruptly: true }), 1)
  await watcher.logged('watch failed; restarting')
  await stopsCleanly(t, watcher)
})
