// The npm package where pipelines run it: packed, installed into an empty folder, and run with
// `npx sidecar-patterns ...` on this machine's Node and on the Node 24 the tests run on. Installed,
// it runs the JavaScript compiled at pack time; in the checkout, the TypeScript sources: each
// command must answer exactly as the checkout answers it.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { BIN, ROOT } from '../helpers/cli.ts'
import { installPackedPackage } from '../helpers/installed-package.ts'

const exec = promisify(execFile)
const SHOP = join(ROOT, 'test/fixtures/manifests/shop.yaml')

// The commands a pipeline runs; each is run from the installed package on every Node below and
// must answer as the checkout does. A new command (explain, say) is one more line here.
const COMMANDS: readonly (readonly string[])[] = [
  ['--version'],
  ['inject', '-f', SHOP],
  ['explain', '-f', SHOP],
  ['help', 'inject'],
]

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

async function outcome(run: Promise<{ stdout: string; stderr: string }>): Promise<Outcome> {
  return run.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Outcome) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}

// PATH without any node_modules/.bin (npm run puts the Node 24 of the devDependencies there).
const machinePath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))

/** The Node a fresh machine runs by `node`, and the Node 24 that runs these tests. */
function runtimes(): string[] {
  const dir = machinePath.find((d) => existsSync(join(d, 'node')))
  const machine = dir === undefined ? [] : [join(dir, 'node')]
  return [...new Set([...machine, process.execPath])]
}

async function versionOf(node: string): Promise<number[]> {
  const { stdout } = await exec(node, ['--version'])
  return stdout.trim().slice(1).split('.').map(Number)
}

/** Whether `version` is at least the `>=X.Y.Z` of package.json's engines. */
function supported(version: number[], engines: string): boolean {
  const floor = engines.replace('>=', '').split('.').map(Number)
  const difference = floor.map((f, i) => (version[i] ?? 0) - f).find((d) => d !== 0) ?? 0
  return difference >= 0
}

t.test(
  'installed from the packed tarball, npx sidecar-patterns runs as in the checkout',
  async (t) => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    const folder = await installPackedPackage()
    t.teardown(() => rm(folder, { recursive: true, force: true }))
    const installed = join(folder, 'node_modules', pkg.name)
    t.notOk(existsSync(join(installed, 'src')), 'no TypeScript sources in the package')
    t.ok(existsSync(join(installed, 'dist/cli/main.js')), 'the compiled entry point')

    const expected = await Promise.all(
      COMMANDS.map((args) => outcome(exec(process.execPath, [BIN, ...args], { cwd: ROOT }))),
    )
    t.equal(expected[0]?.stdout, `${pkg.version}\n`, '--version prints the version alone')
    t.match(expected[1], {
      code: 0,
      stdout: /- name: patterns-git-sync\n/,
      stderr: /injected git-sync/,
    })

    for (const node of runtimes()) {
      const version = await versionOf(node)
      // npx and the package's bin both start whichever `node` comes first on PATH.
      const env = { ...process.env, PATH: [dirname(node), ...machinePath].join(delimiter) }
      const run = (args: readonly string[]) =>
        outcome(exec('npx', ['--no', '--', pkg.name, ...args], { cwd: folder, env }))
      const label = `Node ${version.join('.')}`
      // Below the floor, a dependency would fail on an API that Node lacks, saying neither.
      const refused = {
        code: 1,
        stdout: '',
        stderr: `error: sidecar-patterns needs Node.js ${pkg.engines.node}; this is v${version.join('.')}\n`,
      }
      for (const [i, args] of COMMANDS.entries()) {
        const answer = await run(args)
        if (supported(version, pkg.engines.node))
          t.same(answer, expected[i], `${label}: ${args.join(' ')}`)
        else
          t.same(
            answer,
            refused,
            `${label} is below engines: ${args.join(' ')} refused, saying why`,
          )
      }
    }
  },
)
