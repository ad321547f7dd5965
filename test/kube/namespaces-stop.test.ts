// stop() leaves nothing running: a watcher in a child process, pointed at the fake API server
// in this one through a kubeconfig file, must exit by itself after stop() and send nothing more,
// whatever it was doing - watching, waiting to reconnect, or waiting to restart after an error.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { watchLog } from '../helpers/cli.ts'
import { until, within } from '../helpers/eventually.ts'
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
// The restart delay after an error: an hour (half of it at least, with jitter), so that a restart
// timer stop() forgot would hold the child far beyond EXIT_DEADLINE_MS. No time is measured: the
// child exits by itself, or a socket, a timer or a watch keeps it, and the deadline says so.
const BACKOFF_MS = 60 * 60 * 1000
// Only ends the wait for a child that would never exit; a clean one takes well under a second.
const EXIT_DEADLINE_MS = 20_000

interface Watcher {
  /** Resolves once the child has logged `msg`, or fails at the deadline. */
  logged(msg: string): Promise<void>
  /** Asks the child to stop(); resolves once it exits, with its code, or fails at the deadline. */
  stop(): Promise<{ code: number | null; stderr: string }>
}

async function spawnWatcher(t: Test, fake: FakeApiServer): Promise<Watcher> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-kubeconfig-'))
  const kubeconfig = join(dir, 'config')
  await writeFile(kubeconfig, fake.kubeConfig().exportConfig())
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAKE_KUBECONFIG: kubeconfig,
    BACKOFF_MS: String(BACKOFF_MS),
  }
  delete env.KUBERNETES_SERVICE_HOST
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const log = watchLog(child)
  const output = { stderr: '' }
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk
  })
  t.teardown(async () => {
    if (child.exitCode === null) child.kill()
    await rm(dir, { recursive: true, force: true })
  })
  await Promise.race([once(child, 'message'), exited(child, output)])
  return {
    logged: async (msg) => {
      await within(
        log.waitFor((line) => line.msg === msg),
        { what: `the watcher to log "${msg}"` },
      )
    },
    stop: async () => {
      const exit = once(child, 'exit')
      child.send('stop')
      const [code] = await within(exit, {
        what: () => `the watcher to exit after stop(); something keeps it alive ${output.stderr}`,
        timeoutMs: EXIT_DEADLINE_MS,
      })
      return { code, stderr: output.stderr }
    },
  }
}

async function exited(child: ChildProcess, output: { stderr: string }): Promise<never> {
  const [code] = await once(child, 'exit')
  throw new Error(`the watcher exited (${code}) before it synced: ${output.stderr}`)
}

// Exiting on its own is the whole proof: an open socket, a pending timer or a watch opened after
// stop() would each hold the child's event loop open (half an hour at least, or for good).
async function stopsCleanly(t: Test, watcher: Watcher) {
  const { code, stderr } = await watcher.stop()
  t.equal(code, 0, 'exits by itself, with no error')
  t.equal(stderr, '', 'no unhandled rejection or warning')
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
  const dropped = () => until(() => fake.dropWatches() > 0, { what: 'a watch to drop' })
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
