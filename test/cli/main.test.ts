// The `sidecar-patterns` command as people run it: `npx sidecar-patterns --help` and
// `npm start -- --port N` in a checkout, stopped by SIGTERM like a Pod (each in a process of its
// own); its help, usage errors and a refused start, in this process as the binary runs them.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { Agent, request } from 'undici'
import { ROOT, runInProcess, watchLog } from '../helpers/cli.ts'
import { startServe } from '../helpers/serve-process.ts'

t.test('--help lists the subcommands', async (t) => {
  const { stdout } = await runInProcess(['--help'])
  t.match(stdout, /Usage: sidecar-patterns <command>/)
  t.match(stdout, /^\s+serve\s+run the mutating admission webhook/m)
  t.match((await runInProcess(['serve', '--help'])).stdout, /--port N/)
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
  t.equal((await runInProcess(['--version'])).stdout, `${pkg.version}\n`)
})

t.test('an unknown command or flag exits 2 with the reason', async (t) => {
  t.match(await runInProcess(['frobnicate']), {
    code: 2,
    stderr: /unknown command "frobnicate"/,
  })
  t.match(await runInProcess(['serve', '--port', 'x']), {
    code: 2,
    stderr: /--port: "x" is not a port/,
  })
})

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  return port
}

async function healthz(origin: string, certDir: string) {
  const agent = new Agent({ connect: { ca: await readFile(join(certDir, 'ca.crt'), 'utf8') } })
  try {
    const response = await request(`${origin}/healthz`, { dispatcher: agent })
    return [response.statusCode, await response.body.json()]
  } finally {
    await agent.close()
  }
}

t.test(
  'npm start -- --port N serves HTTPS on N with certificates made on first start',
  async (t) => {
    const certDir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-cli-'))
    const port = await freePort()
    const args = [
      'start',
      '--',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--cert-dir',
      certDir,
      '--metrics-port',
      '0',
    ]
    // npm does not pass SIGTERM on to the server, so the whole process group is stopped instead.
    const child = spawn('npm', args, {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    t.teardown(() => process.kill(-(child.pid ?? 0), 'SIGKILL'))
    await watchLog(child).waitFor((l) => l.msg === `Server listening at https://127.0.0.1:${port}`)
    t.same(await healthz(`https://127.0.0.1:${port}`, certDir), [200, { status: 'ok' }])
  },
)

t.test('serve exits cleanly on SIGTERM, as a Pod is stopped', async (t) => {
  const { child, origin, certDir } = await startServe(t)
  const log = watchLog(child)
  t.same(await healthz(origin, certDir), [200, { status: 'ok' }])
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await log.waitFor((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')
  t.same(await exited, [0, null], 'exit code 0')
})

t.test('serve refuses to start on an invalid catalog and says every problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-catalog-'))
  const config = join(dir, 'catalog.yaml')
  await writeFile(config, 'mode: hybrid\nsidecars:\n  - name: x\n    container: { imag: y }\n')
  const failed = await runInProcess([
    'serve',
    '--port',
    '0',
    '--metrics-port',
    '0',
    '--cert-dir',
    dir,
    '--config',
    config,
  ])
  t.match(failed, { code: 1, stderr: /invalid catalog/ })
  t.match(failed.stderr, /catalog\.yaml:1: mode: has the wrong type/)
  t.match(failed.stderr, /catalog\.yaml:4: sidecars\.0\.container\.imag: unknown key/)
})

t.test('npx sidecar-patterns --help works in a checkout', async (t) => {
  const { stdout } = await promisify(execFile)('npx', ['sidecar-patterns', '--help'], { cwd: ROOT })
  t.match(stdout, /Commands:\n\s+serve/)
})
