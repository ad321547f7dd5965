// `sidecar-patterns check` against a fake API server holding an installation as
// `kubectl apply -k manifests/` and the webhook leave it: the rendered manifests, the Secret and
// caBundle written by the webhook's own certificate code, the Deployment's status and the
// Service's EndpointSlice as their controllers write them. Each test breaks one thing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { main } from '../../src/cli/main.ts'
import { patchCaBundle } from '../../src/tls/ca-bundle.ts'
import { createCa } from '../../src/tls/issue.ts'
import { serviceNames } from '../../src/tls/names.ts'
import { ensureCertificate } from '../../src/tls/secret-certificates.ts'
import { renderManifests } from '../helpers/apiserver/cluster.ts'
import { type ObjectBody, startFakeApiServer } from '../helpers/fake-apiserver.ts'
import { captureIo } from '../helpers/io.ts'
import { DAY_MS } from '../tls/support.ts'

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked as plain JSON
type Obj = any

const NS = 'sidecar-patterns'

interface Setup {
  /** When the webhook issued its certificates. */
  issuedAt?: Date
  service?: string
  catalog?: string
  ready?: boolean
  bound?: boolean
  policyStatus?: Obj
  /** The image the Deployment passes the webhook as --image (its SELF_IMAGE). */
  selfImage?: string
}

/** The fake with an installation in it, and a kubeconfig file for it. */
async function installed(t: Test, setup: Setup = {}) {
  const api = await startFakeApiServer()
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-check-'))
  t.teardown(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })
  const objects = await renderManifests('manifests')
  const only = (kind: string): Obj => objects.find((o) => o.kind === kind)
  api.createMutatingWebhookConfiguration(
    'sidecar-patterns',
    body(only('MutatingWebhookConfiguration')),
  )
  api.createObject('services', NS, 'sidecar-patterns', body(only('Service')))
  const policy = body(only('ValidatingAdmissionPolicy'))
  // As the API server's type checker reports a policy it could check (no warnings).
  policy.status = setup.policyStatus ?? { observedGeneration: 1, typeChecking: {} }
  api.createClusterObject('admissionPolicies', 'sidecar-patterns-cabundle-only', policy)
  if (setup.bound ?? true) {
    const binding = body(only('ValidatingAdmissionPolicyBinding'))
    api.createClusterObject('admissionPolicyBindings', 'sidecar-patterns-cabundle-only', binding)
  }
  const catalog = body(only('ConfigMap'))
  if (setup.catalog !== undefined) catalog.data = { 'catalog.yaml': setup.catalog }
  api.createObject('configMaps', NS, 'sidecar-patterns-catalog', catalog)
  const ready = setup.ready ?? true
  const deployment: Obj = body(only('Deployment'))
  if (setup.selfImage !== undefined) {
    const [webhook] = deployment.spec.template.spec.containers
    webhook.env = webhook.env.map((e: Obj) =>
      e.name === 'SELF_IMAGE' ? { ...e, value: setup.selfImage } : e,
    )
  }
  api.createObject('deployments', NS, 'sidecar-patterns', {
    ...deployment,
    status: deploymentStatus(ready),
  })
  api.createObject('endpointSlices', NS, 'sidecar-patterns-x7k2p', endpointSlice(ready))
  // What a replica does at start with --tls-mode secret: create the Secret, patch the caBundle.
  const log = pino({ level: 'silent' })
  const set = await ensureCertificate({
    kubeConfig: api.kubeConfig(),
    namespace: NS,
    names: serviceNames(setup.service ?? 'sidecar-patterns', NS),
    log,
    now: () => setup.issuedAt ?? new Date(),
  })
  await patchCaBundle({ kubeConfig: api.kubeConfig(), caBundle: set.ca, log })
  const kubeconfig = join(dir, 'kubeconfig')
  await writeFile(kubeconfig, api.kubeConfig().exportConfig())
  return { api, kubeconfig }
}

function body({ metadata, ...rest }: Obj): ObjectBody {
  return { ...rest, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {} }
}

// As the deployment controller reports a rollout that finished, or one whose Pods never got ready.
function deploymentStatus(ready: boolean) {
  const available = ready
    ? {
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      }
    : {
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      }
  return {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    ...(ready && { readyReplicas: 2, availableReplicas: 2 }),
    ...(!ready && { unavailableReplicas: 2 }),
    conditions: [{ type: 'Available', lastUpdateTime: '2026-12-01T00:00:00Z', ...available }],
  }
}

// As the EndpointSlice controller writes one for the Service (kubernetes.io/service-name).
function endpointSlice(ready: boolean) {
  const endpoint = (ip: string, pod: string) => ({
    addresses: [ip],
    conditions: { ready, serving: ready, terminating: false },
    targetRef: { kind: 'Pod', namespace: NS, name: pod },
  })
  return {
    labels: {
      'kubernetes.io/service-name': 'sidecar-patterns',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    },
    addressType: 'IPv4',
    endpoints: [
      endpoint('10.244.1.7', 'sidecar-patterns-6d4b9c-abcde'),
      endpoint('10.244.2.9', 'sidecar-patterns-6d4b9c-fghij'),
    ],
    ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
  }
}

/** Runs `check` as the binary would, capturing its output. */
async function check(kubeconfig: string, ...args: string[]) {
  const run = captureIo()
  const code = await main(['check', '--kubeconfig', kubeconfig, ...args], run.io)
  return { code, lines: run.out().replace(/\n$/, '').split('\n'), err: run.err() }
}

const failures = (lines: string[]) => lines.filter((l) => l.startsWith('✗'))

const CHECKS = [
  'api',
  'kubernetes-version',
  'native-sidecars',
  'webhook-configuration',
  'deployment',
  'endpoints',
  'ca-bundle',
  'certificate',
  'admission-policy',
  'catalog',
]

t.test('a healthy installation passes every check, exit 0', async (t) => {
  const { api, kubeconfig } = await installed(t)
  const before = api.requests().length
  const { code, lines } = await check(kubeconfig)
  t.equal(code, 0)
  t.same(
    lines.map((l) => /^(✓|✗) ([\w-]+):/.exec(l)?.slice(1)),
    CHECKS.map((c) => ['✓', c]),
    lines.join('\n'),
  )
  t.match(lines.join('\n'), `✓ api: the API server at ${api.url} answers: Kubernetes v1.34.1`)
  t.match(
    lines.join('\n'),
    'webhook-configuration: MutatingWebhookConfiguration sidecar-patterns is registered with 3 webhooks',
  )
  t.match(
    lines.join('\n'),
    'endpoints: Service sidecar-patterns/sidecar-patterns has 2 ready endpoints (10.244.1.7, 10.244.2.9)',
  )
  t.match(
    lines.join('\n'),
    /certificate: the serving certificate names sidecar-patterns\.sidecar-patterns\.svc, is valid until \d{4}-\d\d-\d\d \(36[45] days\)/,
  )
  t.same(
    api
      .requests()
      .slice(before)
      .map((r) => `${r.method} ${r.path} ${r.status}`)
      .sort(),
    [
      'GET /api/v1/namespaces/sidecar-patterns/configmaps/sidecar-patterns-catalog 200',
      'GET /api/v1/namespaces/sidecar-patterns/secrets/sidecar-patterns-tls 200',
      'GET /api/v1/namespaces/sidecar-patterns/services/sidecar-patterns 200',
      'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sidecar-patterns 200',
      'GET /apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/sidecar-patterns-cabundle-only 200',
      'GET /apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/sidecar-patterns-cabundle-only 200',
      'GET /apis/apps/v1/namespaces/sidecar-patterns/deployments/sidecar-patterns 200',
      'GET /apis/discovery.k8s.io/v1/namespaces/sidecar-patterns/endpointslices 200',
      'GET /version 200',
    ],
    'the paths of the API reference, each read once, nothing written',
  )
  const slices = api.requests().find((r) => r.path.endsWith('/endpointslices'))
  t.same(slices?.query, { labelSelector: 'kubernetes.io/service-name=sidecar-patterns' })
})

t.test('-o json: every check with its result, and ok', async (t) => {
  const { kubeconfig } = await installed(t)
  const { code, lines } = await check(kubeconfig, '-o', 'json')
  const report = JSON.parse(lines.join('\n'))
  t.equal(code, 0)
  t.equal(report.ok, true)
  t.same(
    report.checks.map((c: Obj) => c.check),
    CHECKS,
  )
  t.ok(report.checks.every((c: Obj) => c.ok === true && typeof c.message === 'string'))
})

t.test('a caBundle of another CA fails ca-bundle, and says who writes it', async (t) => {
  const { api, kubeconfig } = await installed(t)
  const other = await createCa(new Date())
  await patchCaBundle({
    kubeConfig: api.kubeConfig(),
    caBundle: other.cert,
    log: pino({ level: 'silent' }),
  })
  const { code, lines } = await check(kubeconfig)
  t.equal(code, 1)
  t.same(failures(lines).length, 1)
  t.match(
    failures(lines)[0],
    /^✗ ca-bundle: enforced\.sidecar-patterns\.io, defaults\.sidecar-patterns\.io, opt-in\.sidecar-patterns\.io: the caBundle does not hold the CA that signed the serving certificate; fix: with --tls-mode secret the webhook writes the Secret and the caBundles/,
  )
})

t.test('a removed caBundle fails ca-bundle', async (t) => {
  const { api, kubeconfig } = await installed(t)
  const mwc = api.mutatingWebhookConfiguration('sidecar-patterns') as Obj
  const webhooks = mwc.webhooks.map((w: Obj, i: number) =>
    i === 1 ? { ...w, clientConfig: { service: w.clientConfig.service } } : w,
  )
  api.replaceMutatingWebhookConfiguration('sidecar-patterns', { webhooks })
  t.match(failures((await check(kubeconfig)).lines), [
    /^✗ ca-bundle: defaults\.sidecar-patterns\.io: no caBundle/,
  ])
})

t.test(
  'certificate: expired, overdue for renewal, not yet valid, or for another name',
  async (t) => {
    const now = Date.now()
    const cases: [string, Setup, RegExp][] = [
      [
        'expired',
        { issuedAt: new Date(now - 400 * DAY_MS) },
        /^✗ certificate: the serving certificate expired on /,
      ],
      [
        'overdue',
        { issuedAt: new Date(now - 250 * DAY_MS) },
        /^✗ certificate: the serving certificate was due for renewal on \S+ \(a third of its life left\) and expires on \S+, in 11[45] days/,
      ],
      [
        'not yet valid',
        { issuedAt: new Date(now + 2 * DAY_MS) },
        /^✗ certificate: the serving certificate is not valid before /,
      ],
      [
        'another name',
        { service: 'injector' },
        /^✗ certificate: the serving certificate does not name sidecar-patterns\.sidecar-patterns\.svc, the host the API server verifies/,
      ],
    ]
    for (const [name, setup, expected] of cases) {
      const { kubeconfig } = await installed(t, setup)
      const { code, lines } = await check(kubeconfig)
      t.equal(code, 1, name)
      t.match(failures(lines), [expected], name)
    }
  },
)

t.test(
  'an invalid catalog fails catalog with every problem the webhook would refuse it for',
  async (t) => {
    const catalog =
      'mode: native\npolicies:\n  - name: p\n    namespaceSelector: {}\n    required: [ghost]\n'
    const { kubeconfig } = await installed(t, { catalog })
    t.match(failures((await check(kubeconfig)).lines), [
      /^✗ catalog: ConfigMap sidecar-patterns\/sidecar-patterns-catalog is invalid: catalog\.yaml: policies\.0\.required: no sidecar is named ghost; fix: edit catalog\.yaml/,
    ])
  },
)

t.test(
  "the catalog is loaded with the image the Deployment passes the webhook, not this client's",
  async (t) => {
    const catalogLine = (lines: string[]) => lines.find((l) => l.startsWith('✓ catalog:'))
    const { kubeconfig } = await installed(t)
    t.match(
      catalogLine((await check(kubeconfig)).lines),
      /\{\{self\.image\}\} is ghcr\.io\/sidecar-patterns\/sidecar-patterns:0\.1\.0 \(as the Deployment passes it\)$/,
      'the release manifests/base pins, not the 0.0.0-test of this client',
    )
    const mirrored = await installed(t, { selfImage: 'registry.example/mirror/sp:1.2.3' })
    t.match(
      catalogLine((await check(mirrored.kubeconfig)).lines),
      /\{\{self\.image\}\} is registry\.example\/mirror\/sp:1\.2\.3 \(as the Deployment passes it\)$/,
    )
    const { lines } = await check(kubeconfig, '--deployment', 'elsewhere')
    t.match(failures(lines), [
      /^✗ deployment: Deployment sidecar-patterns\/elsewhere does not exist/,
    ])
    t.match(
      catalogLine(lines),
      /\{\{self\.image\}\} is ghcr\.io\/sidecar-patterns\/sidecar-patterns:0\.0\.0-test \(this client's release image: the Deployment's is unknown\)$/,
    )
  },
)

t.test(
  'Kubernetes 1.28: too old to install, and native sidecars only with the classic mode',
  async (t) => {
    const old = { major: '1', minor: '28+', gitVersion: 'v1.28.15-eks-a1b2c3' }
    const native = await installed(t)
    native.api.setVersion(old)
    t.match(failures((await check(native.kubeconfig)).lines), [
      /^✗ kubernetes-version: 1\.28 is older than 1\.30/,
      /^✗ native-sidecars: 1\.28 does not run native sidecars by default .*; fix: set `mode: classic` in the catalog/,
    ])
    const classic = await installed(t, { catalog: 'mode: classic\n' })
    classic.api.setVersion(old)
    const { lines } = await check(classic.kubeconfig)
    t.match(
      lines.join('\n'),
      "✓ native-sidecars: 1.28 has no native sidecars, and the catalog's mode is classic",
    )
  },
)

t.test('no ready replica fails deployment and endpoints', async (t) => {
  const { kubeconfig } = await installed(t, { ready: false })
  t.match(failures((await check(kubeconfig)).lines), [
    /^✗ deployment: Deployment sidecar-patterns\/sidecar-patterns is not available \(0 of 2 replicas\): Deployment does not have minimum availability\.; fix: kubectl -n sidecar-patterns describe deployment sidecar-patterns/,
    /^✗ endpoints: Service sidecar-patterns\/sidecar-patterns has no ready endpoints/,
  ])
})

t.test('an unregistered webhook fails webhook-configuration, with the apply to run', async (t) => {
  const { kubeconfig } = await installed(t)
  const { code, lines } = await check(kubeconfig, '--webhook-configuration', 'canary')
  t.equal(code, 1)
  t.match(failures(lines), [
    /^✗ webhook-configuration: MutatingWebhookConfiguration canary is not registered; fix: kubectl apply -k manifests\//,
    /^✗ ca-bundle: MutatingWebhookConfiguration canary could not be read/,
  ])
})

t.test('a webhook entry that calls another Service fails webhook-configuration', async (t) => {
  const { api, kubeconfig } = await installed(t)
  const mwc = api.mutatingWebhookConfiguration('sidecar-patterns') as Obj
  const [first, ...rest] = mwc.webhooks
  const elsewhere = { ...first.clientConfig.service, name: 'old-injector' }
  const moved = { ...first, clientConfig: { ...first.clientConfig, service: elsewhere } }
  api.replaceMutatingWebhookConfiguration('sidecar-patterns', { webhooks: [moved, ...rest] })
  t.match(failures((await check(kubeconfig)).lines), [
    /^✗ webhook-configuration: MutatingWebhookConfiguration sidecar-patterns: enforced\.sidecar-patterns\.io do not call the Service sidecar-patterns\/sidecar-patterns/,
  ])
})

t.test('no Secret: ca-bundle and certificate fail, saying who makes it', async (t) => {
  const { kubeconfig } = await installed(t)
  const { lines } = await check(kubeconfig, '--tls-secret', 'elsewhere')
  t.match(failures(lines), [
    /^✗ ca-bundle: Secret sidecar-patterns\/elsewhere does not exist; fix: with --tls-mode secret the webhook writes the Secret/,
    /^✗ certificate: Secret sidecar-patterns\/elsewhere does not exist/,
  ])
})

t.test('an API server that refuses the credentials: one line, exit 1', async (t) => {
  const { api } = await installed(t)
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-check-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const wrong = join(dir, 'kubeconfig')
  await writeFile(wrong, api.kubeConfig({ token: 'stolen' }).exportConfig())
  const { code, lines } = await check(wrong)
  t.equal(code, 1)
  t.same(lines, [
    `✗ api: the API server at ${api.url} does not answer: HTTP 401: Unauthorized; fix: check the kubeconfig (--kubeconfig, $KUBECONFIG, its current context) and that \`kubectl version\` answers`,
  ])
})

t.test('an API server that does not answer: given up on at --request-timeout', async (t) => {
  const { api, kubeconfig } = await installed(t)
  api.beforeNext('GET', '/version', () => new Promise<never>(() => {}))
  const silent = await check(kubeconfig, '--request-timeout', '50ms')
  t.equal(silent.code, 1)
  t.same(silent.lines, [
    `✗ api: the API server at ${api.url} does not answer: GET /version: no answer within 50ms; fix: check the kubeconfig (--kubeconfig, $KUBECONFIG, its current context) and that \`kubectl version\` answers`,
  ])
  const configMap = '/api/v1/namespaces/sidecar-patterns/configmaps/sidecar-patterns-catalog'
  api.beforeNext('GET', configMap, () => new Promise<never>(() => {}))
  // Every read has its own deadline: the others, answered at once, pass.
  const { lines } = await check(kubeconfig, '--request-timeout', '2s')
  t.match(
    lines.find((l) => l.startsWith('✗ catalog')),
    /^✗ catalog: ConfigMap sidecar-patterns\/sidecar-patterns-catalog: The operation was aborted due to timeout; fix: /,
  )
})

t.test('bad flags exit 2 with every problem', async (t) => {
  const { code, err } = await check('/nonexistent', '-o', 'yaml', '--namespace', 'Not_A_Name')
  t.equal(code, 2)
  t.match(
    err,
    /--namespace: "Not_A_Name" is not a Kubernetes object name\nerror: --output: "yaml" is not text or json/,
  )
  const timeout = await check('/nonexistent', '--request-timeout', '0s')
  t.equal(timeout.code, 2)
  t.match(timeout.err, /^error: --request-timeout: "0s" is not longer than 0s/)
})

t.test(
  'a kubeconfig that cannot be read, or a server that is gone: the api check says which',
  async (t) => {
    const missing = await check('/nonexistent/kubeconfig', '-o', 'json')
    t.equal(missing.code, 1)
    t.match(JSON.parse(missing.lines.join('\n')), {
      ok: false,
      checks: [
        {
          check: 'api',
          ok: false,
          message: /^--kubeconfig: cannot read \/nonexistent\/kubeconfig: ENOENT/,
        },
      ],
    })
    const { api, kubeconfig } = await installed(t)
    await api.close()
    const gone = await check(kubeconfig)
    t.equal(gone.code, 1)
    t.match(gone.lines, [
      new RegExp(`^✗ api: the API server at ${api.url} does not answer: .*ECONNREFUSED`),
    ])
    t.equal(gone.lines.length, 1)
  },
)

t.test(
  'admission-policy: unbound, or with expressions the API server could not check',
  async (t) => {
    const unbound = await installed(t, { bound: false })
    t.match(failures((await check(unbound.kubeconfig)).lines), [
      /^✗ admission-policy: ValidatingAdmissionPolicy sidecar-patterns-cabundle-only is not bound: it guards nothing; fix: kubectl apply -k manifests\//,
    ])
    const warning = {
      fieldRef: 'spec.validations[1].expression',
      warning:
        "apiVersion admissionregistration.k8s.io/v1, kind MutatingWebhookConfiguration: ERROR: <input>:1:5: undefined field 'newField'\n | ...",
    }
    const illTyped = await installed(t, {
      policyStatus: { observedGeneration: 1, typeChecking: { expressionWarnings: [warning] } },
    })
    t.match(failures((await check(illTyped.kubeconfig)).lines), [
      /^✗ admission-policy: ValidatingAdmissionPolicy sidecar-patterns-cabundle-only: the API server could not type-check spec\.validations\[1\]\.expression: apiVersion admissionregistration\.k8s\.io\/v1, kind MutatingWebhookConfiguration: ERROR: <input>:1:5: undefined field 'newField'; fix: /,
    ])
  },
)
