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
const theirs = (pod: Pod) => [...otherInjectorsContainers(pod)].sort()

t.test('each injector as it leaves a Pod: only the app is left', async (t) => {
  for (const [name, other] of Object.entries(OTHER_INJECTORS))
    t.same(names(other(app)), ['web'], name)
  const all = Object.values(OTHER_INJECTORS).reduce((pod, other) => other(pod), app)
  t.same(names(all), ['web'], 'all of them at once')
  t.same(theirs(all), [
    'consul-connect-inject-init-web',
    'consul-dataplane-admin',
    'consul-dataplane-web',
    'daprd',
    'istio-init',
    'istio-proxy',
    'kuma-init',
    'kuma-sidecar',
    'linkerd-init',
    'linkerd-proxy',
    'otc-container',
    'vault-agent',
    'vault-agent-init',
  ])
})

t.test("Istio's record lists what Istio added, in either list (native sidecars too)", async (t) => {
  const native = JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null })
  const meshed: Pod = {
    metadata: { name: 'p', annotations: { 'sidecar.istio.io/status': native } },
    spec: {
      containers: [{ name: 'web' }],
      initContainers: [{ name: 'istio-init' }, { name: 'istio-proxy', restartPolicy: 'Always' }],
    },
  }
  t.same(theirs(meshed), ['istio-init', 'istio-proxy'])
  const unread = ['', 'not json', '[]', 'null', '{"containers":"web"}', '{"containers":[1]}']
  for (const text of unread) t.same(theirs(recorded({ 'sidecar.istio.io/status': text })), [], text)
  const long = JSON.stringify({ containers: ['web'], padding: 'x'.repeat(5000) })
  t.same(theirs(recorded({ 'sidecar.istio.io/status': long })), [], 'longer than any record')
})

t.test('a mark with another value, or in the other place, is no record', async (t) => {
  const vault = (status: string) =>
    theirs({
      metadata: { name: 'p', annotations: { 'vault.hashicorp.com/agent-inject-status': status } },
      spec: { containers: [{ name: 'web' }, { name: 'vault-agent' }] },
    })
  t.same(vault('injected'), ['vault-agent'])
  t.same(vault('update'), [])
  const daprd = { spec: { containers: [{ name: 'web' }, { name: 'daprd' }] } }
  const marked = (field: 'annotations' | 'labels') =>
    theirs({ ...daprd, metadata: { name: 'p', [field]: { 'dapr.io/sidecar-injected': 'true' } } })
  t.same(marked('labels'), ['daprd'])
  t.same(marked('annotations'), [], 'Dapr marks with a label')
})

t.test("a name with a suffix is Consul's only where its record says so", async (t) => {
  const pod = (annotations: Record<string, string>): Pod => ({
    metadata: { name: 'p', annotations },
    spec: { containers: [{ name: 'web' }, { name: 'consul-dataplane-web' }, { name: 'consulx' }] },
  })
  t.same(theirs(pod({ 'consul.hashicorp.com/connect-inject-status': 'injected' })), [
    'consul-dataplane-web',
  ])
  t.same(theirs(pod({})), [])
})

t.test('a record that would leave the Pod no app is not read', async (t) => {
  const pod = recorded({ 'sidecar.istio.io/status': JSON.stringify({ containers: ['web'] }) })
  t.same(theirs(pod), ['web'], 'the record says so')
  t.same(names(pod), ['web'], 'but a Pod always has an app')
})

function recorded(annotations: Record<string, string>): Pod {
  return { ...app, metadata: { name: 'p', annotations } }
}
