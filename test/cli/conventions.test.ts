// What every command of `sidecar-patterns` does alike, as people run it: --version and version
// (the API server's too, given a kubeconfig), help COMMAND, a flag given twice refused, a file
// that cannot be read named by its flag, --log-level, and the metrics port actually bound.
// Command lines run in this process as the binary runs them (runInProcess); a process of its own
// only where nothing else shows it: the version the binary reads from package.json, $KUBECONFIG
// taken from the environment, the exit code of a command that threw, and a port a server bound.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { runInProcess as cli, runBinary, PACKAGE_VERSION as version } from '../helpers/cli.ts'
import { fakeApiServerFor } from '../helpers/fake-apiserver.ts'
import { DEFAULT_VERSION } from '../helpers/fake-apiserver-version.ts'
import { startServe } from '../helpers/serve-process.ts'

// No $KUBECONFIG from the machine running the tests: `version` would ask that cluster. (This
// file runs in its own process; the binary's children get this environment too.)
delete process.env.KUBECONFIG
const binary = (args: string[], env: Record<string, string> = {}) =>
  runBinary(args, { ...process.env, ...env })

const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-conventions-'))
const missing = join(dir, 'missing.yaml')
const pod = join(dir, 'pod.yaml')
await writeFile(
  pod,
  'kind: Pod\nmetadata:\n  name: p\n  annotations: { patterns/sidecar: metrics }\nspec:\n  containers: [{ name: app, image: app:1, ports: [{ containerPort: 3000 }] }]\n',
)

t.test('--version prints the version alone; version names it as kubectl does', async (t) => {
  t.same(await binary(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' })
  t.same(await cli(['version']), { code: 0, stdout: `Client Version: ${version}\n`, stderr: '' })
})

t.test(
  'version asks the API server of a kubeconfig, from --kubeconfig or $KUBECONFIG',
  async (t) => {
    const api = await fakeApiServerFor(t)
    const kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeConfig().exportConfig())
    const expected = {
      code: 0,
      stdout: `Client Version: ${version}\nServer Version: ${DEFAULT_VERSION.gitVersion}\n`,
      stderr: '',
    }
    t.same(await cli(['version', '--kubeconfig', kubeconfig]), expected)
    t.same(await binary(['version'], { KUBECONFIG: kubeconfig }), expected)
    t.match(
      api.requests().map((r) => [r.method, r.path, r.status]),
      [
        ['GET', '/version', 200],
        ['GET', '/version', 200],
      ],
    )
    t.same(await cli(['version', '--kubeconfig', missing]), {
      code: 1,
      stdout: `Client Version: ${version}\n`,
      stderr: `error: --kubeconfig: cannot read ${missing}: ENOENT: no such file or directory\n`,
    })
  },
)

t.test('help COMMAND is COMMAND --help, for every command, in 100 columns', async (t) => {
  const commands = ['serve', 'inject', 'uninject', 'explain', 'status', 'check', 'meter', 'version']
  for (const command of commands) {
    const help = await cli(['help', command])
    t.equal(help.code, 0)
    t.match(help.stdout, `Usage: sidecar-patterns ${command}`)
    t.same(help, await cli([command, '--help']), command)
    const wide = help.stdout.split('\n').filter((line) => line.length > 100)
    t.same(wide, [], `${command}: lines wider than 100 columns`)
  }
  t.same(
    (await cli(['help'])).stdout.split('\n').filter((line) => line.length > 100),
    [],
  )
  t.same(await cli(['help']), await cli(['--help']))
  t.same(await cli(['help', 'help']), await cli(['--help']))
  t.match(await cli(['help', 'frobnicate']), { code: 2, stderr: /unknown command "frobnicate"/ })
})

t.test('a flag given twice is refused, in every command', async (t) => {
  // -f is a list by design (inject several files), so inject's single-valued flag is --namespace.
  const cases: [string, string[]][] = [
    ['--namespace', ['inject', '-f', pod, '--namespace', 'a', '--namespace', 'b']],
    ['--port', ['serve', '--port', '0', '--port', '1']],
    ['--listen', ['meter', '--listen', '0.0.0.0:1', '--listen', '0.0.0.0:2']],
    ['--kubeconfig', ['version', '--kubeconfig', 'a', '--kubeconfig=b']],
  ]
  for (const [name, args] of cases) {
    t.match(await cli(args), {
      code: 2,
      stderr: new RegExp(`^error: ${name}: given 2 times; it takes one value`),
    })
  }
})

t.test('a file that cannot be read is reported with the flag that named it', async (t) => {
  const cannotRead = (flag: string) =>
    `error: ${flag}: cannot read ${missing}: ENOENT: no such file or directory\n`
  // As a process: what a command throws ends it with exit code 1 and the message on stderr.
  t.same(await binary(['inject', '-f', missing]), {
    code: 1,
    stdout: '',
    stderr: cannotRead('--filename'),
  })
  t.same(await cli(['inject', '-f', pod, '--config', missing]), {
    code: 1,
    stdout: '',
    stderr: cannotRead('--config'),
  })
  const serve = await cli([
    'serve',
    '--port',
    '0',
    '--metrics-port',
    '0',
    '--cert-dir',
    dir,
    '--config',
    missing,
  ])
  t.match(serve, { code: 1, stderr: cannotRead('--config') })
})

t.test('inject reports its messages by --log-level, as the servers log', async (t) => {
  const info = await cli(['inject', '-f', pod])
  t.match(
    info.stderr,
    /^(warning: .*\n)+info: .*pod\.yaml: document 1 \(Pod p\): injected metrics\n$/,
  )
  t.equal(
    (await cli(['inject', '-f', pod, '--log-level', 'warn'])).stderr,
    info.stderr.replace(/info: .*\n/, ''),
  )
  t.same(
    await cli(['inject', '-f', pod, '-q']),
    await cli(['inject', '-f', pod, '--log-level', 'warn']),
  )
  t.equal((await cli(['inject', '-f', pod, '--log-level', 'error'])).stderr, '')
  t.match(await cli(['inject', '-f', pod, '--log-level', 'loud']), {
    code: 2,
    stderr: /--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent/,
  })
  t.match(await cli(['inject', '-f', pod, '-q', '--log-level', 'info']), { code: 2 })
})

t.test('serve --metrics-port 0 logs the port it bound, which serves /metrics', async (t) => {
  const { metricsUrl } = await startServe(t)
  const port = Number(new URL(metricsUrl).port)
  t.ok(port > 0, `the port bound, ${port}, not 0`)
  const response = await request(metricsUrl)
  t.equal(response.statusCode, 200)
  t.match(await response.body.text(), /sidecar_patterns_admission_reviews_total/)
})
