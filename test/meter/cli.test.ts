// `sidecar-patterns meter` as the webhook's template runs it: flags, a real process, and SIGTERM
// as Kubernetes sends it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { request } from 'undici'
import { BIN, runCli, watchLog } from '../helpers/cli.ts'
import { portOf, startApp } from './harness.ts'

t.test('--help lists meter, and meter --help its flags', async (t) => {
  t.match((await runCli(['--help'])).stdout, /^\s+meter\s+run the metering reverse proxy/m)
  const { stdout } = await runCli(['meter', '--help'])
  for (const flag of ['--listen', '--upstream', '--metrics-port', '--route', '--upstream-timeout'])
    t.match(stdout, flag)
})

t.test('bad flags exit 2 with every reason', async (t) => {
  await t.rejects(runCli(['meter', '--listen', 'x', '--metrics-port', '0']), {
    code: 2,
    stderr: /error: --listen: "x" is not HOST:PORT[\s\S]*error: --upstream: is required/,
  })
})

t.test(
  'the flags the webhook injects: it proxies, then drains on SIGTERM and exits 0',
  async (t) => {
    const app = await startApp(t, (_req, res) => res.end('from the app'))
    const args = [BIN, 'meter', '--listen', '127.0.0.1:0', '--metrics-port', '0']
    args.push('--upstream', `http://127.0.0.1:${portOf(app)}`)
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    t.teardown(() => child.kill('SIGKILL'))
    const { lines, waitFor } = watchLog(child)
    const started = (await waitFor((line) => line.msg === 'metering')) as {
      proxy: { port: number }
      metrics: { port: number }
    }
    const through = await request(`http://127.0.0.1:${started.proxy.port}/`)
    t.equal(await through.body.text(), 'from the app')
    const health = await request(`http://127.0.0.1:${started.metrics.port}/healthz`)
    t.equal(health.statusCode, 200)
    await health.body.dump()
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    t.same(await exited, [0, null], 'exit code 0')
    t.same(
      lines.map((l) => l.msg),
      ['metering', 'shutting down', 'draining', 'drained'],
    )
  },
)

t.test('a port in use: exit 1 with the reason, nothing left running', async (t) => {
  const app = await startApp(t, (_req, res) => res.end())
  const taken = `127.0.0.1:${portOf(app)}`
  await t.rejects(
    runCli(['meter', '--listen', taken, '--upstream', `http://${taken}`, '--metrics-port', '0']),
    { code: 1, stderr: /EADDRINUSE/ },
  )
})
