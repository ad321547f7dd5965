// The catalog file: the built-ins in the same format, overridden or extended by an administrator,
// checked strictly, with every problem reported at once with its line and path.
import t from 'tap'
import { loadCatalog } from '../../src/catalog/load.ts'
import { MAX_SIDECARS } from '../../src/injection/catalog.ts'
import { decide } from '../../src/injection/decide.ts'
import { inject } from '../../src/injection/mutate.ts'
import { TEST_IMAGE, testCatalog } from '../helpers/config.ts'
import { annotatedPod } from '../helpers/reviews.ts'

const load = (text: string) => loadCatalog({ name: 'catalog.yaml', text }, TEST_IMAGE)
const errorsOf = (text: string) => {
  const loaded = load(text)
  return loaded.ok ? [] : loaded.errors
}
const has = (errors: string[], pattern: RegExp) => errors.some((e) => pattern.test(e))

t.test(
  'the built-in catalog alone: metrics, auth, git-sync, native mode, no policies',
  async (t) => {
    const loaded = loadCatalog(undefined, TEST_IMAGE)
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
    t.same([...loaded.catalog.sidecars.keys()], ['metrics', 'auth', 'git-sync'])
    t.same([loaded.catalog.mode, loaded.catalog.policies], ['native', []])
    t.ok(Object.isFrozen(loaded.catalog))
  },
)

t.test('a file adds sidecars and policies, and overrides built-ins by name', async (t) => {
  t.same([...testCatalog.sidecars.keys()], ['metrics', 'auth', 'git-sync', 'log-shipper'])
  t.same(
    testCatalog.policies.map((p) => p.name),
    ['prod-metering', 'strict-metering', 'regulated-logs'],
  )
  const overridden = load(`
mode: classic
sidecars:
  - name: auth
    params:
      port: { type: port-ref }
      proxy-port: { type: port, default: 8443 }
    proxy: { appPort: port, listen: proxy-port, order: 20 }
    container:
      image: registry.example.com/our-auth:2
      args: ["--listen=:{{proxy-port}}", "--to=127.0.0.1:{{upstream}}"]
`)
  if (!overridden.ok) throw new Error(overridden.errors.join('\n'))
  t.equal(overridden.catalog.mode, 'classic')
  t.same(Object.keys(overridden.catalog.sidecars.get('auth')?.params ?? {}), ['port', 'proxy-port'])
  t.same([...overridden.catalog.sidecars.keys()], ['metrics', 'auth', 'git-sync'], 'in place')
})

t.test('{{self.image}} becomes the image given, character for character', async (t) => {
  // `$&` and `$$` mean something in a replacement string; an image given is not one.
  const image = 'registry.example.com/sidecar-patterns:$&-$$'
  const loaded = loadCatalog(undefined, image)
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const decision = decide(annotatedPod({ 'patterns/sidecar': 'metrics' }), loaded.catalog)
  if (decision.action !== 'inject') throw new Error(decision.action)
  const pod = inject(annotatedPod({ 'patterns/sidecar': 'metrics' }), decision.plan)
  t.equal(pod.spec.initContainers?.[0]?.image, image)
})

t.test('a policy says what to do where a required sidecar cannot apply', async (t) => {
  const policies = (notApplicable: string) => `policies:
  - name: metering
    namespaceSelector: { matchLabels: { env: prod } }
    required: [metrics]
${notApplicable}`
  const loaded = load(policies(''))
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  t.equal(loaded.catalog.policies[0]?.notApplicable, 'admit', 'admit unless it says otherwise')
  t.same(
    testCatalog.policies.map((p) => [p.name, p.notApplicable]),
    [
      ['prod-metering', 'admit'],
      ['strict-metering', 'deny'],
      ['regulated-logs', 'admit'],
    ],
  )
  t.same(errorsOf(policies('    notApplicable: refuse')), [
    'catalog.yaml:5: policies.0.notApplicable: has the wrong type',
  ])
})

// The API server refuses such selectors (k8s.io/apimachinery metav1.LabelSelectorAsSelector), and
// the policies are evaluated by its rule (src/apiserver/label-selector.ts): so does the catalog.
t.test('a policy selector the API server would refuse is refused', async (t) => {
  t.same(
    errorsOf(`policies:
  - name: metering
    namespaceSelector:
      matchExpressions:
        - { key: env, operator: In }
        - { key: tier, operator: Exists, values: [web] }
        - { key: team, operator: NotIn, values: [ops] }
    required: [metrics]
`),
    [
      'catalog.yaml: policies.0.namespaceSelector.matchExpressions.0: In needs values, as the API server requires',
      'catalog.yaml: policies.0.namespaceSelector.matchExpressions.1: Exists takes no values, as the API server requires',
    ],
  )
})

t.test('a malformed entry does not hide the problems of the others', async (t) => {
  t.same(
    errorsOf(`sidecars:
  - name: typo
    container: { image: x, imagePullPolicy: Sometimes }
  - name: fine-but-wrong
    container: { image: "{{nope}}" }
  - name: fine-but-wrong
    container: { image: x }
policies:
  - { name: p, namespaceSelector: {}, required: [typo, ghost] }
`),
    [
      'catalog.yaml:3: sidecars.0.container.imagePullPolicy: has the wrong type',
      'catalog.yaml:5: sidecars.1.container.image: {{nope}} is not a parameter of fine-but-wrong',
      'catalog.yaml: sidecars.2.name: fine-but-wrong is defined twice',
      'catalog.yaml: policies.0.required: no sidecar is named ghost',
    ],
    'a policy may name the malformed sidecar: only its schema error is reported',
  )
  for (const text of ['- a list', 'just text', 'sidecars: 3', 'sidecars: [7]\npolicies: {}']) {
    const loaded = load(text)
    t.equal(loaded.ok, false, `${JSON.stringify(text)} is refused, not thrown on`)
  }
})

t.test('reports every problem at once, each with its line and path', async (t) => {
  const errors = errorsOf(`mode: classic
sidecars:
  - name: broken
    params:
      level: { type: enum, default: info }
      size: { type: integer, pattern: "x", default: 5 }
      port: { type: port, required: true, default: 80 }
      maybe: { type: string }
      when: { type: duration, default: soon }
      re: { type: string, pattern: "(" }
    proxy: { appPort: port, listen: nothing, order: 10 }
    container:
      imge: x
      image: "{{nope}}"
      workingDir: "{{maybe}}"
      ports:
        - { containerPort: "{{when}}" }
      env:
        - { name: A, value: "{{self.image}}" }
    volumes:
      - { name: data, mountPath: /data }
      - { name: data, emptyDir: {}, configMap: { name: x }, mountPath: /d }
policies:
  - name: p
    namespaceSelector: {}
    required: [ghost]
  - name: p
    namespaceSelector: { matchExpressions: [{ key: a, operator: Near }] }
    required: [metrics]
`)
  // The schema's errors first, then what the well-formed parts show: the parameters of the
  // malformed sidecar, the policies' names and references. The malformed container and policy
  // are checked no further (their placeholders, volumes and proxy are not read).
  t.same(errors, [
    'catalog.yaml:13: sidecars.0.container.imge: unknown key',
    'catalog.yaml:28: policies.1.namespaceSelector.matchExpressions.0.operator: has the wrong type',
    'catalog.yaml:5: sidecars.0.params.level: values go with type enum, and only with it',
    'catalog.yaml:6: sidecars.0.params.size: pattern goes with type string only',
    'catalog.yaml:7: sidecars.0.params.port: a required parameter has no default',
    'catalog.yaml:9: sidecars.0.params.when: default "soon" is not a duration of at least 1s such as 30s, 5m or 1h30m',
    'catalog.yaml:10: sidecars.0.params.re: pattern "(" is not a regular expression',
    'catalog.yaml: policies.1.name: p is defined twice',
    'catalog.yaml: policies.0.required: no sidecar is named ghost',
  ])

  const semantic = errorsOf(`sidecars:
  - name: broken
    params:
      level: { type: enum, default: info }
      size: { type: integer, pattern: "x", default: 5 }
      port: { type: port, required: true, default: 80 }
      maybe: { type: string }
      when: { type: duration, default: soon }
      re: { type: string, pattern: "(" }
    proxy: { appPort: port, listen: nothing, order: 30 }
    container:
      image: "{{nope}}"
      workingDir: "{{maybe}}"
      ports:
        - { containerPort: "{{when}}" }
      env:
        - { name: A, value: "{{self.image}}" }
    volumes:
      - { name: data, mountPath: /data }
      - { name: data, emptyDir: {}, configMap: { name: x }, mountPath: /d }
  - name: helper
    container: { image: x, args: ["{{upstream}}"] }
  - name: helper
    container: { image: x }
policies:
  - { name: p, namespaceSelector: {}, required: [ghost] }
  - { name: p, namespaceSelector: {}, required: [metrics] }
`)
  const checks: [string, RegExp][] = [
    ['enum without values', /:4: sidecars\.0\.params\.level: values go with type enum/],
    ['pattern on an integer', /:5: sidecars\.0\.params\.size: pattern goes with type string only/],
    [
      'required with a default',
      /:6: sidecars\.0\.params\.port: a required parameter has no default/,
    ],
    ['an invalid default', /:8: sidecars\.0\.params\.when: default "soon" is not a duration/],
    ['an invalid pattern', /:9: sidecars\.0\.params\.re: pattern "\(" is not a regular expression/],
    [
      'an unknown placeholder',
      /:12: sidecars\.0\.container\.image: \{\{nope\}\} is not a parameter of broken/,
    ],
    [
      'an optional parameter outside a list',
      /:13: sidecars\.0\.container\.workingDir: optional parameter \{\{maybe\}\}/,
    ],
    [
      'a port that is no port parameter',
      /:15: sidecars\.0\.container\.ports\.0\.containerPort: must be a number or exactly/,
    ],
    [
      'self.image outside image',
      /:17: sidecars\.0\.container\.env\.0\.value: \{\{self\.image\}\} belongs in container\.image only/,
    ],
    [
      'a proxy app port that is no port-ref',
      /:10: sidecars\.0\.proxy\.appPort: port must be a parameter of type port-ref/,
    ],
    [
      'a proxy listen parameter missing',
      /:10: sidecars\.0\.proxy\.listen: nothing must be a parameter of type port/,
    ],
    [
      'a proxy that forwards nowhere',
      /sidecars\.0\.container: a proxy must forward to \{\{upstream\}\}/,
    ],
    [
      'a volume with no source',
      /:19: sidecars\.0\.volumes\.0: needs exactly one of emptyDir, configMap, secret/,
    ],
    ['a volume with two sources', /:20: sidecars\.0\.volumes\.1: needs exactly one/],
    ['a volume defined twice', /:20: sidecars\.0\.volumes\.1\.name: volume data is defined twice/],
    [
      'upstream without a proxy',
      /:22: sidecars\.1\.container\.args\.0: \{\{upstream\}\} needs a proxy section/,
    ],
    ['a sidecar defined twice', /sidecars\.2\.name: helper is defined twice/],
    ['a policy naming a missing sidecar', /policies\.0\.required: no sidecar is named ghost/],
    ['a policy defined twice', /policies\.1\.name: p is defined twice/],
  ]
  for (const [what, pattern] of checks) t.ok(has(semantic, pattern), what)
  t.equal(semantic.length, checks.length, 'and nothing else')
})

t.test('YAML problems and sizes', async (t) => {
  t.ok(has(errorsOf('sidecars: [\n'), /^catalog\.yaml:\d+: /), 'a syntax error, with its line')
  t.ok(has(errorsOf('mode: native\nmode: classic\n'), /catalog\.yaml:2: Map keys must be unique/))
  t.ok(has(errorsOf('- a\n- b\n'), /\(top\): must be object/))
  t.ok(has(errorsOf(`# ${'x'.repeat(1024 * 1024)}`), /larger than 1 MiB/))
  t.ok(has(errorsOf('mode: hybrid\n'), /mode: has the wrong type/))
  t.equal(load('').ok, true, 'an empty file is the built-in catalog')
})

// Every list of sidecar names a Pod or a namespace writes is bounded by what a catalog can hold.
t.test('a catalog holds at most MAX_SIDECARS sidecars, built-in ones included', async (t) => {
  const sidecars = (n: number) =>
    `sidecars:\n${Array.from({ length: n }, (_, i) => `  - { name: s${i}, container: { image: x } }\n`).join('')}`
  const builtins = loadCatalog(undefined, TEST_IMAGE)
  const room = MAX_SIDECARS - (builtins.ok ? builtins.catalog.sidecars.size : 0)
  t.equal(load(sidecars(room)).ok, true, `${room} more than the built-in ones`)
  t.same(errorsOf(sidecars(room + 1)), [
    `catalog.yaml: sidecars: ${MAX_SIDECARS + 1} with the built-in ones; a catalog holds at most ${MAX_SIDECARS}`,
  ])
})

t.test('two proxies cannot claim one place in the chain', async (t) => {
  const errors = errorsOf(`sidecars:
  - name: waf
    params: { port: { type: port-ref }, listen: { type: port, default: 9000 } }
    proxy: { appPort: port, listen: listen, order: 10 }
    container: { image: waf, args: ["--to={{upstream}}"] }
`)
  t.ok(has(errors, /sidecars metrics and waf have the same proxy order 10/))
})

t.test(
  'a proxy says what it can stand in front of, and which parameter says the protocol',
  async (t) => {
    const proxy = (block: string, params = '') => `sidecars:
  - name: waf
    params: { port: { type: port-ref }, listen: { type: port, default: 9000 }${params} }
    proxy: { appPort: port, listen: listen, order: 30${block} }
    container: { image: waf, args: ["--to={{upstream}}"] }
`
    t.equal(load(proxy('')).ok, true, 'without protocols: HTTP/1.1 only')
    const loaded = load(proxy(', protocols: [http, grpc, tcp]'))
    const waf = loaded.ok ? loaded.catalog.sidecars.get('waf') : undefined
    const configured = waf?.configure(new Map())
    t.same(configured?.ok && configured.sidecar.proxy?.protocols, ['http', 'grpc', 'tcp'])
    t.ok(
      has(errorsOf(proxy(', protocols: [http, h2c]')), /sidecars\.0\.proxy\.protocols\.1/),
      'only the protocols a chain knows',
    )
    t.ok(has(errorsOf(proxy(', protocols: []')), /sidecars\.0\.proxy\.protocols/), 'at least one')
    t.ok(
      has(errorsOf(proxy(', protocols: [tcp, tcp]')), /proxy\.protocols: lists tcp more than once/),
    )
    const wants =
      /proxy\.protocol: proto must be an optional enum parameter without a default, whose values are among proxy\.protocols \(http, tcp\)/
    const ok = ', proto: { type: enum, values: [http, tcp] }'
    t.equal(load(proxy(', protocols: [http, tcp], protocol: proto', ok)).ok, true)
    for (const [why, param] of [
      ['missing', ''],
      ['not an enum', ', proto: { type: string }'],
      [
        'with a default, which would hide the inferred one',
        ', proto: { type: enum, values: [http, tcp], default: http }',
      ],
      ['required', ', proto: { type: enum, values: [http, tcp], required: true }'],
      [
        'naming a protocol the proxy does not handle',
        ', proto: { type: enum, values: [http, grpc] }',
      ],
    ] as const)
      t.ok(has(errorsOf(proxy(', protocols: [http, tcp], protocol: proto', param)), wants), why)
  },
)
