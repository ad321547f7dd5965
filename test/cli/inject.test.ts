// `sidecar-patterns inject` and `uninject` as people run them: on files, directories and
// standard input, to standard output or in place, with exit status 1 when a Pod was refused.
// Standard input is piped to a process of its own; the rest runs in this process as the binary
// runs it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BIN, ROOT, runInProcess } from '../helpers/cli.ts'

const POD = (name: string, sidecar = 'metrics') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  annotations:\n    patterns/sidecar: ${sidecar}\nspec:\n  containers:\n    - name: app\n      image: app:1\n      ports: [{ containerPort: 3000 }]  # the app\n`
const CONFIG_MAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: "v"}\n'

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-inject-'))
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

t.test('inject -f - reads standard input and writes the injected stream', async (t) => {
  const child = spawn(process.execPath, [BIN, 'inject', '-f', '-', '--image', 'example/sp:1'], {
    cwd: ROOT,
  })
  child.stdin.end(POD('p'))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  t.match(stdout, /- name: patterns-metrics\n\s+image: example\/sp:1/)
  t.match(stdout, '      ports: [{ containerPort: 3000 }]  # the app\n', 'the rest as written')
  t.match(stderr, /info: \(standard input\): document 1 \(Pod p\): injected metrics/)
})

t.test('several files and directories: one stream, files in name order, --- between', async (t) => {
  const dir = await folder({
    'b.yaml': CONFIG_MAP,
    'a/nested/c.yml': POD('c'),
    'a/notes.txt': 'not yaml',
    'd.yaml': `---\n${CONFIG_MAP}`,
  })
  const extra = join(await folder({}), 'extra.yaml')
  await writeFile(extra, CONFIG_MAP.replace('name: c', 'name: extra').trimEnd())
  const { code, stdout, stderr } = await runInProcess(['inject', '-f', extra, '-f', dir, '-q'])
  t.equal(code, 0)
  t.notMatch(stderr, /^info:/m, '-q: nothing but warnings and errors')
  const documents = stdout.split(/^---\n/m)
  t.equal(documents.length, 4, 'extra, a/nested/c.yml, b.yaml, d.yaml (its own --- only)')
  t.equal(documents[0], `${CONFIG_MAP.replace('name: c', 'name: extra').trimEnd()}\n`)
  t.match(documents[1], /^apiVersion: v1\nkind: Pod\nmetadata:\n {2}name: c\n/)
  t.match(documents[1], /patterns-metrics/)
  t.same([documents[2], documents[3]], [CONFIG_MAP, CONFIG_MAP])
})

t.test('a refused Pod is reported and left as it is, the rest written; exit 1', async (t) => {
  const dir = await folder({ 'app.yaml': `${POD('good')}---\n${POD('bad', 'vault')}` })
  const failed = await runInProcess(['inject', '-f', join(dir, 'app.yaml')])
  t.equal(failed.code, 1)
  t.match(
    failed.stderr,
    `error: ${join(dir, 'app.yaml')}: document 2 (Pod bad): patterns/sidecar: unknown sidecar "vault"`,
  )
  const [good, bad] = failed.stdout.split(/^---\n/m)
  t.match(good, /patterns-metrics/, 'the good Pod injected')
  t.equal(bad, POD('bad', 'vault'), 'the refused one as written')
})

t.test(
  '--in-place writes back the files that changed; uninject --in-place restores them',
  async (t) => {
    const dir = await folder({ 'pod.yaml': POD('p'), 'config.yaml': CONFIG_MAP })
    t.match(await runInProcess(['inject', '-i', '-f', dir, '-q']), { code: 0, stdout: '' })
    t.match(await readFile(join(dir, 'pod.yaml'), 'utf8'), /patterns-metrics/)
    t.equal(await readFile(join(dir, 'config.yaml'), 'utf8'), CONFIG_MAP)
    const uninjected = await runInProcess(['uninject', '--in-place', '-f', join(dir, 'pod.yaml')])
    t.equal(uninjected.code, 0)
    t.match(uninjected.stderr, /document 1 \(Pod p\): removed metrics/)
    t.equal(await readFile(join(dir, 'pod.yaml'), 'utf8'), POD('p'))
  },
)

t.test(
  'inject and uninject --retarget-services, in place: the Service comes back to the app port',
  async (t) => {
    const pod = POD('p').replace('  name: p\n', '  name: p\n  labels: {app: p}\n')
    const service =
      'apiVersion: v1\nkind: Service\nmetadata: {name: p}\nspec:\n  selector: {app: p}\n  ports:\n  - port: 80\n    targetPort: 3000\n'
    const dir = await folder({ 'pod.yaml': pod, 'service.yaml': service })
    const flags = ['--retarget-services', '--namespace', 'shop', '-i', '-f', dir]
    const injected = await runInProcess(['inject', ...flags])
    t.match(injected, { code: 0, stderr: /\(Service p\): targetPort 3000 re-pointed to 15080/ })
    t.match(await readFile(join(dir, 'service.yaml'), 'utf8'), '    targetPort: 15080\n')
    const uninjected = await runInProcess(['uninject', ...flags])
    t.match(uninjected, { code: 0, stderr: /\(Service p\): targetPort 15080 re-pointed to 3000/ })
    t.equal(await readFile(join(dir, 'service.yaml'), 'utf8'), service)
    t.equal(await readFile(join(dir, 'pod.yaml'), 'utf8'), pod)
  },
)

t.test('bad inputs name the flag', async (t) => {
  t.match(await runInProcess(['inject']), { code: 2, stderr: /-f FILE is required/ })
  t.match(await runInProcess(['inject', '-i', '-f', '-']), {
    code: 2,
    stderr: /--in-place cannot write back to standard input/,
  })
  t.match(await runInProcess(['uninject', '-f', '/nonexistent/x.yaml']), {
    code: 1,
    stderr: /--filename: cannot read \/nonexistent\/x.yaml: ENOENT: no such file or directory/,
  })
})
