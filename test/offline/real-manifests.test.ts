// `inject` and `uninject` on manifests from real repositories (test/fixtures/manifests/real,
// sources in SOURCES.md): with nothing to inject a file comes back byte for byte; injected, it
// parses to exactly what the webhook's patch makes of it, every line of the original is still
// there in order (but the app port names a proxy took over, src/injection/port-takeover.ts), and
// `uninject` gives the original bytes back.
import { readdirSync, readFileSync } from 'node:fs'
import fastJsonPatch from 'fast-json-patch'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { injectPod } from '../../src/injection/inject-pod.ts'
import type { NamespaceFacts } from '../../src/injection/scope.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { findTemplates, type Path } from '../../src/offline/templates.ts'
import { uninjectSources } from '../../src/offline/uninject-documents.ts'
import { catalogFrom } from '../helpers/config.ts'

const folder = new URL('../fixtures/manifests/real/', import.meta.url)
const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'))

// The built-ins and a sidecar that needs no parameter and mounts a volume into every app
// container, so that injection adds containers, volumes, mounts and the annotation.
const catalog = catalogFrom({
  name: 'catalog.yaml',
  text: `sidecars:
  - name: scratch
    summary: a scratch volume shared with the app
    container:
      image: busybox:1.37
      args: [sleep, infinity]
    volumes:
      - name: scratch
        emptyDir: {}
        mountPath: /scratch
        appMountPath: /scratch
`,
})
// Both namespaces the fixtures use ask for both sidecars by default.
const NAMESPACES = ['default', 'istio-system']
const facts = (name: string): NamespaceFacts => ({
  name,
  labels: {},
  annotations: { 'patterns/sidecar': 'metrics, scratch' },
})
const namespaceSource = {
  name: 'namespaces.yaml',
  text: NAMESPACES.map(
    (name) =>
      `kind: Namespace\nmetadata:\n  name: ${name}\n  annotations:\n    patterns/sidecar: metrics, scratch\n`,
  ).join('---\n'),
}

// How many Pod templates of each file get sidecars under the namespace default above.
const INJECTED: Record<string, number> = {
  'examples-cassandra-statefulset.yaml': 1,
  'examples-guestbook-redis-master.yaml': 1,
  'examples-sysdig-daemonset-crlf.yaml': 1,
  'istio-bookinfo.yaml': 6,
  'istio-helloworld.yaml': 2,
  'istio-kiali.yaml': 1,
  'microservices-demo-frontend.yaml': 1,
}

// The lines injection rewrites: the app port whose name the meter takes over, renamed (line 410
// of istio-kiali.yaml; line 331, a Service port of the same name, is no container port and stays).
const RENAMED: Record<string, [string, string][]> = {
  'istio-kiali.yaml': [['        - name: http-metrics', '        - name: http-metric-app']],
}

/** The oracle: the webhook's patch applied to each Pod template of the parsed original. */
function expected(text: string): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    const object = doc.toJS() as unknown
    for (const site of findTemplates(object)) {
      const pod = at(object, site.path)
      const namespace = site.namespace ?? 'default'
      const known = NAMESPACES.includes(namespace) ? facts(namespace) : undefined
      const injection = injectPod(structuredClone(pod), catalog, known)
      if (injection.ok && injection.decision.action === 'inject')
        fastJsonPatch.applyPatch(pod, injection.decision.operations)
    }
    return object
  })
}

function at(object: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], object)
}

/** The lines of `before` that are not found, in order, among the lines of `after`. */
function linesLost(before: string, after: string): string[] {
  const lines = after.split('\n')
  const lost: string[] = []
  let from = 0
  for (const line of before.split('\n')) {
    const found = lines.indexOf(line, from)
    if (found === -1) lost.push(line)
    else from = found + 1
  }
  return lost
}

for (const name of files) {
  t.test(name, async (t) => {
    const text = readFileSync(new URL(name, folder), 'utf8')
    const source = { name, text }
    const untouched = injectSources([source], { catalog, namespace: 'elsewhere' })
    t.equal(untouched.outputs[0]?.text, text, 'nothing to inject: byte for byte')
    t.same(
      untouched.messages.filter((m) => m.level !== 'info'),
      [],
    )

    const injected = injectSources([namespaceSource, source], { catalog, namespace: 'default' })
    const output = injected.outputs[1]?.text ?? ''
    t.same(
      injected.messages.filter((m) => m.level === 'error'),
      [],
      'every template injected or skipped',
    )
    const count = injected.messages.filter((m) => m.text.startsWith('injected ')).length
    t.equal(count, INJECTED[name], `${count} Pod templates injected`)
    t.same(
      parseAllDocuments(output).map((d) => d.toJS()),
      expected(text),
      'parses to what the patch makes of the original',
    )
    const renames = RENAMED[name] ?? []
    for (const [from] of renames) t.equal(text.split(`\n${from}\n`).length, 2, `one line ${from}`)
    const renamed = renames.reduce(
      (out, [from, to]) => out.replace(`\n${from}\n`, `\n${to}\n`),
      text,
    )
    t.same(
      linesLost(renamed, output),
      [],
      'every line of the original is kept, in order, but the app port names taken over, renamed',
    )
    t.equal(
      injectSources([namespaceSource, { name, text: output }], { catalog, namespace: 'default' })
        .outputs[1]?.text,
      output,
      'injecting again changes nothing',
    )
    const reverted = uninjectSources([{ name, text: output }], catalog, { namespace: 'default' })
    t.same(
      reverted.messages.filter((m) => m.level === 'error'),
      [],
    )
    t.equal(reverted.outputs[0]?.text, text, 'uninject gives the original bytes back')
  })
}
