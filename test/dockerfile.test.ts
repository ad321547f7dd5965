// No Docker engine runs here, so the image is checked by reading its Dockerfile: multi-stage,
// production dependencies only, non-root, no build tools in the final stage, and an entrypoint
// that runs the webhook by default and the meter when the catalog's metrics sidecar asks for it.
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { builtinCatalog } from './helpers/config.ts'

const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')
const stages = dockerfile.split(/^FROM /m).slice(1)
const final = stages.at(-1) ?? ''

t.test('multi-stage: dependencies are installed apart, the final stage only copies', async (t) => {
  t.ok(stages.length >= 2)
  t.match(stages[0], /npm ci --omit=dev/, 'production dependencies only')
  t.match(
    final,
    /^gcr\.io\/distroless\/nodejs24/,
    'a Node 24 runtime without shell or package manager',
  )
  t.notMatch(final, /^RUN /m, 'nothing is built or installed in the final stage')
  for (const [, path] of final.matchAll(/^COPY (?!--from)(\S+)/gm))
    t.ok(existsSync(new URL(`../${path}`, import.meta.url)), `${path} exists`)
  // bin/ runs src/ wherever it exists, so the image runs the sources, as the tests do; the
  // compiled dist/ exists only in the npm package (and is not in the checkout CI builds from).
  t.match(final, /^COPY src \.\/src$/m, 'the TypeScript sources, which Node 24 runs directly')
  t.notMatch(final, /\bdist\b/, 'no compiled copy beside them')
  t.match(
    final,
    /^COPY manifests\/base\/mutatingwebhookconfiguration\.yaml /m,
    'the webhook configuration, which explain reads offline',
  )
})

t.test('runs as a non-root user: the webhook by default, the meter by argument', async (t) => {
  const user = /^USER (\d+):(\d+)$/m.exec(final)
  t.ok(user && Number(user[1]) > 0, 'a numeric non-root user, as runAsNonRoot needs')
  t.match(final, /ENTRYPOINT \["\/nodejs\/bin\/node", "bin\/sidecar-patterns\.js"\]/)
  t.match(final, /CMD \["serve"\]/)
  const sidecar = builtinCatalog.sidecars.get('metrics')
  const configured = sidecar?.configure(new Map([['port', '8080']]))
  if (!configured?.ok) throw new Error('metrics must configure')
  const parts = configured.sidecar.build({
    mode: 'classic',
    upstream: 8080,
    containerName: (b) => b,
    volumeName: (b) => b,
  })
  t.equal(
    parts.containers[0]?.args?.[0],
    'meter',
    'the metrics sidecar runs `sidecar-patterns meter`',
  )
})
