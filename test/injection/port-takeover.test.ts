// A Service that targets the app port by name reaches the meter once it is injected, without an
// edit to the Service: the outermost proxy takes the name over (src/injection/port-takeover.ts).
// The oracle is the EndpointSlice controller's own rule (src/apiserver/find-port.ts),
// asked about the Pod as the API server stores it: the patch applied by an independent RFC 6902
// library, then the API server's defaults; and that Pod, seen again, is left as it is.
import t from 'tap'
import { findPort } from '../../src/apiserver/find-port.ts'
import { decide } from '../../src/injection/decide.ts'
import { injectPod } from '../../src/injection/inject-pod.ts'
import type { Container, Pod } from '../../src/injection/pod.ts'
import { PORT_TAKEOVER } from '../../src/injection/port-takeover.ts'
import { defaultPod } from '../helpers/apiserver/pod-defaults.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { injection } from '../helpers/injected.ts'
import { podViolations, unexpectedChanges } from '../helpers/pod-invariants.ts'

const MODES = ['native', 'classic'] as const

function pod(annotations: Record<string, string>, containers: Container[]): Pod {
  const prefixed = Object.entries(annotations).map(([k, v]) => [`patterns/${k}`, v])
  return {
    metadata: { name: 'p', annotations: Object.fromEntries(prefixed) },
    spec: { containers },
  }
}

/** The Pod as the API server stores it after the webhook, with what the webhook said. */
function admitted(asked: Pod) {
  const { pod: stored, warnings } = injection(asked, builtinCatalog)
  defaultPod(stored as never)
  return { stored, warnings }
}

const web = (extra: Partial<Container> = {}): Container => ({
  name: 'web',
  image: 'web',
  ports: [{ name: 'http', containerPort: 8080 }],
  ...extra,
})

t.test('a Service targeting the app port by name reaches the meter, in both modes', async (t) => {
  const service = { targetPort: 'http' } // created before the Deployment
  t.equal(findPort(pod({}, [web()]), service), 8080, 'before injection: the app')
  for (const mode of MODES) {
    const { stored, warnings } = admitted(pod({ sidecar: 'metrics', mode }, [web()]))
    t.equal(findPort(stored, service), 15080, `${mode}: the meter's port`)
    t.equal(findPort(stored, { targetPort: 'meter-metrics' }), 15091, `${mode}: metrics as before`)
    t.equal(
      findPort(stored, { targetPort: 'http-app' }),
      8080,
      `${mode}: the app under its new name`,
    )
    t.same(podViolations(stored), [], `${mode}: a Pod the API server accepts`)
    t.ok(
      warnings.includes(
        "metrics takes over port name http, so Services that target it reach metrics (15080); the app's port 8080 is renamed http-app, and a targetPort 8080 still reaches the app",
      ),
    )
    const again = injectPod(stored, builtinCatalog, undefined)
    t.match(again, { ok: true, decision: { action: 'skip', reason: 'already-injected' } })
    t.same(again.ok && again.decision.warnings, [], `${mode}: seen again, recognised as ours`)
  }
})

t.test('probes and hooks of the app that used the name use the number', async (t) => {
  const app = web({
    readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
    livenessProbe: { tcpSocket: { port: 'http' } },
    startupProbe: { httpGet: { path: '/', port: 8080 } },
    lifecycle: {
      preStop: { httpGet: { path: '/drain', port: 'http' } },
      postStart: { exec: { command: ['true'] } },
    },
  })
  const asked = pod({ sidecar: 'metrics' }, [app])
  const { stored } = admitted(asked)
  const [container] = stored.spec.containers
  t.match(container, {
    ports: [{ name: 'http-app', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
    livenessProbe: { tcpSocket: { port: 8080 } },
    startupProbe: { httpGet: { port: 8080 } },
    lifecycle: { preStop: { httpGet: { path: '/drain', port: 8080 } }, postStart: { exec: {} } },
  })
  const record = JSON.parse(stored.metadata?.annotations?.[PORT_TAKEOVER] ?? '{}')
  t.same(record, {
    sidecar: 'metrics',
    port: 8080,
    name: 'http',
    renamed: 'http-app',
    containers: ['web'],
    handlers: [
      'web/readinessProbe/httpGet',
      'web/livenessProbe/tcpSocket',
      'web/lifecycle/preStop/httpGet',
    ],
  })
  // The record alone gives the original Pod back (test/helpers/pod-invariants.ts).
  const unpatched = structuredClone(asked)
  defaultPod(unpatched as never)
  t.same(unexpectedChanges(unpatched, stored), [], 'reversible from the record')
  t.match(injectPod(stored, builtinCatalog, undefined), {
    decision: { action: 'skip', reason: 'already-injected' },
  })
})

t.test(
  'an unnamed app port: a Service by number still reaches the app, and the answer says so',
  async (t) => {
    const unnamed = web({ ports: [{ containerPort: 8080 }] })
    for (const mode of MODES) {
      const { stored, warnings } = admitted(pod({ sidecar: 'metrics', mode }, [unnamed]))
      t.equal(
        findPort(stored, { targetPort: 8080 }),
        8080,
        `${mode}: the number bypasses the meter`,
      )
      t.equal(
        findPort(stored, { targetPort: 'meter-http' }),
        15080,
        `${mode}: point it at the meter`,
      )
      t.notOk(stored.metadata?.annotations?.[PORT_TAKEOVER], 'nothing taken over')
      t.ok(
        warnings.includes(
          'app port 8080 has no name: a Service reaches metrics only with targetPort meter-http, not 8080',
        ),
      )
    }
  },
)

t.test('in a chain the outermost proxy takes the name; alone, auth does', async (t) => {
  const chained = admitted(pod({ sidecar: 'metrics, auth' }, [web()])).stored
  t.equal(findPort(chained, { targetPort: 'http' }), 15080, 'clients reach the meter first')
  t.equal(findPort(chained, { targetPort: 'auth-http' }), 4180, 'auth keeps its own name')
  const alone = admitted(pod({ sidecar: 'auth' }, [web()])).stored
  t.equal(findPort(alone, { targetPort: 'http' }), 4180)
  const auth = alone.spec.initContainers?.find((c) => c.name === 'patterns-auth')
  t.match(auth, {
    ports: [{ name: 'http', containerPort: 4180 }],
    readinessProbe: { httpGet: { path: '/ping', port: 'http' } },
  })
  t.match(injectPod(alone, builtinCatalog, undefined), {
    decision: { action: 'skip', reason: 'already-injected' },
  })
})

t.test('the new name is a valid port name the Pod does not use yet', async (t) => {
  const crowded = web({
    ports: [
      { name: 'http', containerPort: 8080 },
      { name: 'http-app', containerPort: 9000 },
    ],
  })
  const one = admitted(pod({ sidecar: 'metrics', 'metrics.port': 'http' }, [crowded])).stored
  t.match(one.spec.containers[0]?.ports, [{ name: 'http-app2', containerPort: 8080 }])
  const long = web({ ports: [{ name: 'grpc-long-name1', containerPort: 7070 }] })
  const two = admitted(pod({ sidecar: 'metrics' }, [long])).stored
  t.match(two.spec.containers[0]?.ports, [{ name: 'grpc-long-n-app' }])
  t.match(two.spec.initContainers?.[0]?.args, [
    'meter',
    /./,
    /./,
    /./,
    /./,
    /./,
    /./,
    '--protocol=grpc',
  ])
  t.same(podViolations(two), [])
})

t.test('a name another container holds is not taken', async (t) => {
  const other: Container = {
    name: 'proxy',
    image: 'p',
    ports: [{ name: 'http', containerPort: 9090 }],
  }
  const asked = pod({ sidecar: 'metrics', 'metrics.port': '8080' }, [web()])
  asked.spec.initContainers = [{ ...other, restartPolicy: 'Always' }]
  const decision = decide(asked, builtinCatalog)
  t.match(decision, { action: 'inject', plan: { takeover: undefined } })
  t.ok(
    decision.warnings.includes(
      'port name http is also container "proxy"\'s: a Service reaches metrics only with targetPort meter-http',
    ),
  )
})

t.test('a rename the Pod records but does not hold is no proof', async (t) => {
  const { stored } = admitted(pod({ sidecar: 'metrics' }, [web()]))
  const undone = structuredClone(stored)
  const [app] = undone.spec.containers
  if (app?.ports?.[0]) app.ports[0].name = 'http'
  const decision = decide(undone, builtinCatalog)
  t.match(decision.warnings, [
    /^patterns\/injected lists metrics, but the Pod does not hold it as the catalog renders it \(its app port is not renamed as patterns\/port-takeover records\)/,
  ])
  const forged = structuredClone(stored)
  delete forged.metadata?.annotations?.[PORT_TAKEOVER]
  t.match(decide(forged, builtinCatalog).warnings, [
    /^patterns\/injected lists metrics, but the Pod does not hold it as the catalog renders it/,
  ])
})

t.test("a name the proxy's other ports have is not taken", async (t) => {
  const clash = web({ ports: [{ name: 'meter-metrics', containerPort: 8080 }] })
  const decision = decide(pod({ sidecar: 'metrics' }, [clash]), builtinCatalog)
  t.match(decision, { action: 'inject', plan: { takeover: undefined } })
})

t.test('a sidecar that joins on a later call leaves the takeover as it is', async (t) => {
  const { stored } = admitted(pod({ sidecar: 'metrics' }, [web()]))
  const annotations = stored.metadata?.annotations ?? {}
  annotations['patterns/sidecar'] = 'metrics, git-sync'
  annotations['patterns/git-sync.repo'] = 'https://github.com/example/site.git'
  const again = admitted(stored)
  t.same(again.warnings, [], 'metrics is proven, and nothing else is said')
  t.equal(again.stored.metadata?.annotations?.[PORT_TAKEOVER], annotations[PORT_TAKEOVER])
  t.equal(again.stored.metadata?.annotations?.['patterns/injected'], 'metrics,git-sync')
  t.equal(findPort(again.stored, { targetPort: 'http' }), 15080)
})

t.test('names the API server has not checked yet are said cut short', async (t) => {
  const long = 'x'.repeat(100_000)
  const twice: Container[] = [
    web({ name: 'a', ports: [{ name: long, containerPort: 8080 }] }),
    web({ name: 'b', ports: [{ name: 'http', containerPort: 8080 }] }),
  ]
  const decision = decide(
    pod({ sidecar: 'metrics', 'metrics.port': '8080' }, twice),
    builtinCatalog,
  )
  t.match(decision, { action: 'inject', plan: { takeover: undefined } })
  const [said] = decision.warnings
  t.match(said, /^app port 8080 has several names \("x{61}\.\.\.", "http"\)/)
  t.ok((said ?? '').length < 256, 'short enough for a warning')
})
