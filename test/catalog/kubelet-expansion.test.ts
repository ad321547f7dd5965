// A parameter reaches the sidecar's program as it was validated, although the kubelet expands
// `$(VAR)` in command, args, env values and exec probes (test/helpers/kubelet-expansion.ts): the
// injected Pod goes through the model of the kubelet, and the result through the program's own
// parser where it is ours (the meter).
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { admit } from '../../src/admission/admit.ts'
import { parseReview } from '../../src/admission/review.ts'
import type { Catalog } from '../../src/injection/catalog.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import { routeTemplates } from '../../src/injection/validators.ts'
import { parseMeterArgs } from '../../src/meter/config.ts'
import { builtinCatalog, catalogFrom } from '../helpers/config.ts'
import { type ModelContainer, startContainer } from '../helpers/kubelet-expansion.ts'
import { decodePatch, podReview } from '../helpers/reviews.ts'

// What the kubelet adds to every container of a Pod in any namespace, service links or not.
const SERVICES = new Map([
  ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
  ['KUBERNETES_SERVICE_PORT', '443'],
  ['KUBERNETES_PORT', 'tcp://10.96.0.1:443'],
])
const POD_IP = '10.244.1.7'

// The Pod as the API server stores it: the review's patch applied, as it goes over the wire.
function injected(catalog: Catalog, annotations: Record<string, string>): Pod {
  const review = podReview('default', annotations)
  const parsed = parseReview(review)
  if (!parsed.ok) throw new Error(parsed.error)
  const { response } = admit(parsed.request, { catalog, namespace: undefined })
  if (!response.patch) throw new Error(`expected an injection: ${JSON.stringify(response)}`)
  const pod = structuredClone(review.request.object) as Pod
  const failed = applyPatch(pod, decodePatch(response.patch)).find((error) => error !== null)
  if (failed) throw failed
  return pod
}

function sidecar(pod: Pod, name: string): Container {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers]
  const found = all.find((c) => c.name === name)
  if (!found) throw new Error(`no container ${name} in ${all.map((c) => c.name).join(', ')}`)
  return found
}

const start = (container: Container) =>
  startContainer(container as ModelContainer, SERVICES, new Map([['POD_IP', POD_IP]]))

t.test('the meter parses the routes the webhook validated, $(VAR) and $$ included', async (t) => {
  const raw = '/$(KUBERNETES_PORT)/:id, /cost/$$/*, /$(NOT_SET), /a$b'
  const validated = routeTemplates(raw)
  if (!validated.ok) throw new Error(validated.error)
  const pod = injected(builtinCatalog, {
    'patterns/sidecar': 'metrics',
    'patterns/metrics.routes': raw,
  })
  const [command, ...args] = start(sidecar(pod, 'patterns-metrics')).args
  t.equal(command, 'meter')
  const parsed = parseMeterArgs(args)
  if (parsed.ok !== true) throw new Error(parsed.ok ? 'help' : parsed.errors.join('\n'))
  t.same(parsed.value.routes, validated.value.split(','))
  t.equal(parsed.value.upstream, 'http://127.0.0.1:8080', 'our own values are unchanged')
})

// A catalog sidecar whose parameter lands in every field the kubelet expands, and in one it does
// not, beside the author's own `$(POD_IP)`, which the kubelet is meant to expand.
const CATALOG = `
mode: classic
sidecars:
  - name: echo
    params:
      text: { type: string, required: true }
    container:
      image: registry.example.com/echo:1
      command: ["echo", "{{text}}"]
      args: ["--text={{text}}", "--ip=$(POD_IP)", "--escaped=$$(POD_IP)"]
      workingDir: "/work/{{text}}"
      env:
        - name: POD_IP
          valueFrom: { fieldRef: { fieldPath: status.podIP } }
        - { name: TEXT, value: "{{text}}" }
        - { name: AT, value: "{{text}}@$(POD_IP)" }
      readinessProbe:
        exec: { command: ["test", "{{text}}"] }
    init:
      args: ["--once={{text}}", "--ip=$(POD_IP)"]
`

t.test('catalog parameters: command, args, env values, exec probes, init args', async (t) => {
  const catalog = catalogFrom({ name: 'catalog.yaml', text: CATALOG })
  for (const text of ['$(KUBERNETES_PORT)', '$$', 'a$(POD_IP)$$(X)$', '$é$(']) {
    const pod = injected(catalog, { 'patterns/sidecar': 'echo', 'patterns/echo.text': text })
    const main = sidecar(pod, 'patterns-echo')
    const started = start(main)
    t.same(started.command, ['echo', text], `${text}: command`)
    t.same(
      started.args,
      [`--text=${text}`, `--ip=${POD_IP}`, '--escaped=$(POD_IP)'],
      `${text}: args, where the catalog's own text is expanded as its author meant`,
    )
    t.equal(started.env.get('TEXT'), text, `${text}: env value`)
    t.equal(started.env.get('AT'), `${text}@${POD_IP}`, `${text}: env value beside the author's`)
    t.same(started.probes, { readinessProbe: ['test', text] }, `${text}: exec probe`)
    t.equal(main.workingDir, `/work/${text}`, `${text}: workingDir, which is not expanded`)
    t.same(
      start(sidecar(pod, 'patterns-echo-init')).args,
      [`--once=${text}`, `--ip=${POD_IP}`],
      `${text}: the one-time init container's args`,
    )
  }
})
