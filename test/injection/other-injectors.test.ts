// Other injectors' containers are told apart by the records those injectors leave, as their
// sources write them; anything else about the record is not trusted further than it reads.
import t from 'tap'
import {
  otherInjectorsContainers,
  withoutOtherInjectors,
} from '../../src/injection/other-injectors.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { OTHER_INJECTORS } from '../helpers/other-injectors.ts'

const app: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'web', image: 'web' }] } }
const names = (pod: Pod) => withoutOtherInjectors(pod).map((c) => c.name)

t.test('each injector as it leaves a Pod: only the app is left', async (t) => {
  for (const [name, other] of Object.entries(OTHER_INJECTORS))
    t.same(names(other(app)), ['web'], name)
  const all = Object.values(OTHER_INJECTORS).reduce((pod, other) => other(pod), app)
  t.same(names(all), ['web'], 'all four at once')
  t.same([...otherInjectorsContainers(all)].sort(), [
    'daprd',
    'istio-init',
    'istio-proxy',
    'linkerd-debug',
    'linkerd-init',
    'linkerd-network-validator',
    'linkerd-proxy',
    'vault-agent',
    'vault-agent-init',
  ])
})

t.test("Istio's record lists what Istio added, in either list (native sidecars too)", async (t) => {
  const native = JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null })
  t.same(
    [...otherInjectorsContainers(recorded({ 'sidecar.istio.io/status': native }))],
    ['istio-init', 'istio-proxy'],
  )
  for (const text of ['', 'not json', '[]', 'null', '{"containers":"web"}', '{"containers":[1]}'])
    t.same([...otherInjectorsContainers(recorded({ 'sidecar.istio.io/status': text }))], [], text)
  const long = JSON.stringify({ containers: ['web'], padding: 'x'.repeat(5000) })
  t.same([...otherInjectorsContainers(recorded({ 'sidecar.istio.io/status': long }))], [])
})

t.test('a mark with another value, or in the other place, is no record', async (t) => {
  const pending = recorded({ 'vault.hashicorp.com/agent-inject-status': 'update' })
  t.same([...otherInjectorsContainers(pending)], [])
  const daprAnnotation = recorded({ 'dapr.io/sidecar-injected': 'true' })
  t.same([...otherInjectorsContainers(daprAnnotation)], [], 'Dapr marks with a label')
})

t.test('a record that would leave the Pod no app is not read', async (t) => {
  const pod = recorded({ 'sidecar.istio.io/status': JSON.stringify({ containers: ['web'] }) })
  t.same(names(pod), ['web'])
})

function recorded(annotations: Record<string, string>): Pod {
  return { ...app, metadata: { name: 'p', annotations } }
}
