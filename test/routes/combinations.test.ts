// How the Pod's annotation, its namespace's annotation and the platform's policies combine: every
// row of the table in the README ("How requests combine"), through the real HTTPS server.
import { applyPatch } from 'rfc6902'
import t from 'tap'
import type { Container } from '../../src/injection/pod.ts'
import { catalogFrom } from '../helpers/config.ts'
import { startWebhook } from '../helpers/https.ts'
import { decodePatch, podReview, staticNamespaces } from '../helpers/reviews.ts'

// Policies on a catalog whose required sidecars need no parameters from the Pod.
const catalog = catalogFrom({
  name: 'policies.yaml',
  text: `policies:
  - name: prod-metering
    namespaceSelector: { matchLabels: { env: prod } }
    required: [metrics]
  - name: strict-metering
    namespaceSelector: { matchLabels: { metering: strict } }
    required: [metrics]
    notApplicable: deny
`,
})

// Labelled as an operator labels them (README, "How requests combine"), so that the API server
// sends the webhook every Pod of a namespace with defaults or policies.
const DEFAULTS = { 'sidecar-patterns.io/defaults': 'true' }
const ENFORCED = { 'sidecar-patterns.io/enforced': 'true' }
const namespaces = staticNamespaces([
  { name: 'plain', labels: {}, annotations: {} },
  { name: 'defaults', labels: DEFAULTS, annotations: { 'patterns/sidecar': 'auth, tracing' } },
  { name: 'prod', labels: { ...ENFORCED, env: 'prod' }, annotations: {} },
  {
    name: 'prod-defaults',
    labels: { ...ENFORCED, env: 'prod' },
    annotations: { 'patterns/sidecar': 'auth' },
  },
  { name: 'strict', labels: { ...ENFORCED, metering: 'strict' }, annotations: {} },
])

interface Answer {
  response: { allowed: boolean; patch?: string; warnings?: string[]; status?: { message: string } }
}

type Row = [
  string, // namespace
  Record<string, string>, // Pod annotations, under patterns/
  string | { denied: RegExp }, // sidecars injected (patterns/injected), '' for none
  RegExp[], // warnings
  string, // why
  Container[]?, // the Pod's containers: by default one that serves HTTP on 8080
]

const optOut = { inject: 'false' }
// A worker with no port: no proxy can apply to it.
const worker: Container[] = [{ name: 'worker', image: 'example/worker:1' }]
const notInjected = (sidecar: string, by: string) =>
  new RegExp(`^${sidecar} ${by} is not injected: the app declares no TCP port`)
// biome-ignore format: one row per line, like the README table
const rows: Row[] = [
  // namespace        Pod annotations                         injected              warnings
  ['plain',           {},                                     '',                   [],                                        'nothing asked, nothing injected'],
  ['plain',           { sidecar: 'metrics' },                 'metrics',            [],                                        'the Pod asks'],
  ['defaults',        {},                                     'auth',               [/unknown sidecar "tracing"; ignored/],    'the namespace asks (unknown names there are warned about)'],
  ['defaults',        { sidecar: 'metrics' },                 'metrics,auth',       [/tracing/],                               'the Pod adds to the namespace default'],
  ['defaults',        optOut,                                 '',                   [/tracing/],                               'the Pod opts out of the default'],
  ['plain',           { ...optOut, sidecar: 'metrics' },      '',                   [/patterns\/sidecar is ignored/],          'the Pod opts out of its own request'],
  ['prod',            {},                                     'metrics',            [],                                        'policy requires'],
  ['prod',            { sidecar: 'auth' },                    'metrics,auth',       [],                                        'the Pod adds to what policy requires'],
  ['prod',            optOut,                                 'metrics',            [/does not apply to metrics: policy prod-metering requires it/], 'an opt-out does not remove what policy requires'],
  ['prod-defaults',   { ...optOut, sidecar: 'git-sync' },     'metrics',            [/does not apply to metrics/, /patterns\/sidecar is ignored/],             '...nor keeps the namespace default or the Pod list'],
  ['prod-defaults',   { sidecar: 'metrics' },                 'metrics,auth',       [],                                        'all three sources, each sidecar once'],
  ['plain',           { sidecar: 'vault' },                   { denied: /unknown sidecar "vault"/ }, [],                     'an unknown name on the Pod is refused'],
  ['prod',            { ...optOut, sidecar: 'vault' },        'metrics',            [/does not apply/, /patterns\/sidecar is ignored/],                        'an opted-out Pod list is not read'],
  ['prod',            { sidecar: 'metrics', injected: 'metrics' }, '',              [],                                        'reinvocation: already injected'],
  ['unknown-ns',      { sidecar: 'metrics' },                 'metrics',            [],                                        'a namespace the API does not know: the Pod alone'],
  ['defaults',        {},                                     '',                   [/tracing/, notInjected('auth', 'from the default of namespace defaults')], 'a default that cannot apply is left out', worker],
  ['prod',            {},                                     '',                   [notInjected('metrics', 'required by policy prod-metering')],            '...so is a required one (notApplicable: admit)', worker],
  ['strict',          {},                                     { denied: /policy strict-metering requires metrics and refuses Pods it cannot apply to/ }, [], '...or the Pod is refused (notApplicable: deny)', worker],
  ['plain',           { sidecar: 'metrics' },                 { denied: /patterns\/metrics.port: needed: the app declares no TCP port/ }, [], 'the Pod’s own request that cannot apply is refused', worker],
]

// What a response injected: the patterns/injected it writes, '' when it adds nothing.
function injectedBy(response: Answer['response'], review: ReturnType<typeof podReview>): string {
  const pod = structuredClone(review.request.object) as {
    metadata: { annotations?: Record<string, string> }
  }
  const before = pod.metadata.annotations?.['patterns/injected'] ?? ''
  if (response.patch) applyPatch(pod, decodePatch(response.patch))
  const after = pod.metadata.annotations?.['patterns/injected'] ?? ''
  return after === before ? '' : after
}

const PROXY_NOTES = /inferred app port|takes over port name|has no name:/

t.test('how requests combine', async (t) => {
  const webhook = await startWebhook(t, { catalog: () => catalog, namespaces })
  for (const [namespace, patterns, expected, warnings, why, containers] of rows) {
    const annotations = Object.fromEntries(
      Object.entries(patterns).map(([k, v]) => [`patterns/${k}`, v]),
    )
    const review = podReview(namespace, annotations, containers)
    const { response } = (await webhook.post('/mutate', JSON.stringify(review))).json as Answer
    // The inferred app port, and which container has its name, are said whenever a proxy is
    // injected (test/injection/port-takeover.test.ts); this table is about the rest.
    response.warnings = (response.warnings ?? []).filter((w) => !PROXY_NOTES.test(w))
    t.test(why, async (t) => {
      if (typeof expected === 'object')
        t.match(response, { allowed: false, status: { message: expected.denied } })
      else t.equal(injectedBy(response, review), expected, `injected: ${expected || 'nothing'}`)
      t.equal(response.warnings?.length ?? 0, warnings.length, 'as many warnings as expected')
      for (const w of warnings)
        t.ok(
          response.warnings?.some((x) => w.test(x)),
          `warns ${w}`,
        )
    })
  }
})
