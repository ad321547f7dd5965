// The app port inferred from what the app containers declare: each step in its order, what the
// warning says it came from, the default container, and what leaves the answer open.
import t from 'tap'
import { inferAppPort } from '../../src/injection/app-port.ts'
import type { Container, ContainerPort } from '../../src/injection/pod.ts'

const tcp = (containerPort: number, name?: string): ContainerPort => ({
  containerPort,
  ...(name && { name }),
})
const box = (name: string, ports: ContainerPort[], fields: Record<string, unknown> = {}) => ({
  name,
  ports,
  ...fields,
})
const probe = (port: unknown) => ({ httpGet: { path: '/healthz', port } })
const inferred = (port: number, source: string) => ({ ok: true, port, source })
const open = (reason: string) => ({ ok: false, reason })

t.test('in order: the only port, the only http port, the only probed port', async (t) => {
  const rows: [Container[], unknown, string][] = [
    [[box('web', [tcp(8080, 'grpc')])], inferred(8080, 'the only declared port'), 'one port'],
    [
      [box('a', [tcp(8080)]), box('b', [tcp(8080, 'web')])],
      inferred(8080, 'the only declared port'),
      'one number declared twice is one port',
    ],
    [
      [box('web', [tcp(9000, 'admin'), tcp(8080, 'http')])],
      inferred(8080, 'the port named http'),
      'the port named http among several',
    ],
    [
      [box('web', [tcp(9000, 'admin'), tcp(8080, 'http-web')])],
      inferred(8080, 'the port named http-web'),
      'a port named http-*',
    ],
    [
      [box('a', [tcp(9000), tcp(8080, 'http')]), box('b', [tcp(8080, 'http-alt')])],
      inferred(8080, 'the port named http'),
      'http names that agree on one number',
    ],
    [
      [box('web', [tcp(9000, 'admin'), tcp(8080, 'web')], { readinessProbe: probe('web') })],
      inferred(8080, 'the readiness probe of container web'),
      'a named readiness probe port, through the container’s ports',
    ],
    [
      [box('web', [tcp(9000), tcp(8080)], { livenessProbe: probe(8080) })],
      inferred(8080, 'the liveness probe of container web'),
      'a liveness probe by number',
    ],
    [
      [box('web', [tcp(9000), tcp(8080)], { readinessProbe: probe(8080) }), box('b', [])],
      inferred(8080, 'the readiness probe of container web'),
      'a probe may point at a port nobody names',
    ],
    [
      [box('w', [], { readinessProbe: probe(7000), livenessProbe: probe(7000) })],
      inferred(7000, 'the readiness probe of container w'),
      'probes that agree, on a port not declared',
    ],
  ]
  for (const [app, expected, why] of rows) t.same(inferAppPort(app), expected, why)
})

t.test('what leaves the port open', async (t) => {
  const rows: [Container[], unknown, string][] = [
    [[], open('the app declares no TCP port'), 'no container'],
    [[box('w', [])], open('the app declares no TCP port'), 'no port'],
    [
      [box('w', [{ containerPort: 53, protocol: 'UDP' }])],
      open('the app declares no TCP port'),
      'UDP ports do not count',
    ],
    [
      [box('w', [tcp(9000), tcp(8080)])],
      open('the app declares ports 9000, 8080'),
      'several, none named http',
    ],
    [
      [box('w', [tcp(9000, 'http'), tcp(8080, 'http-alt')])],
      open('the app declares ports 9000, 8080'),
      'http names on two numbers',
    ],
    [
      [box('w', [tcp(9000), tcp(8080, 'http-a-very-long-name')])],
      open('the app declares ports 9000, 8080'),
      'a name too long to be a port name',
    ],
    [
      [
        box('w', [tcp(9000), tcp(8080)], {
          readinessProbe: probe(8080),
          livenessProbe: probe(9000),
        }),
      ],
      open('the app declares ports 9000, 8080'),
      'probes on two ports',
    ],
    [
      [
        box('w', [tcp(9000), tcp(8080)], {
          readinessProbe: probe('web'),
          livenessProbe: { tcpSocket: { port: 8080 } },
        }),
      ],
      open('the app declares ports 9000, 8080'),
      'a probe port name nobody declares, and a TCP probe, say nothing',
    ],
    [
      [box('w', [tcp(9000), tcp(8080)], { readinessProbe: probe(0), livenessProbe: probe(1.5) })],
      open('the app declares ports 9000, 8080'),
      'probe ports that are no port numbers',
    ],
    [
      [
        box('w', [tcp(9000), tcp(8080)], {
          readinessProbe: 'nonsense',
          livenessProbe: { httpGet: 1 },
        }),
      ],
      open('the app declares ports 9000, 8080'),
      'probes of the wrong shape (not checked before injection)',
    ],
    [
      [
        box(
          'w',
          [1, 2, 3, 4, 5, 6].map((p) => tcp(p)),
        ),
      ],
      open('the app declares ports 1, 2, 3, 4 and 2 more'),
      'a long list is cut short',
    ],
  ]
  for (const [app, expected, why] of rows) t.same(inferAppPort(app), expected, why)
})

t.test('kubectl.kubernetes.io/default-container', async (t) => {
  const cart = box('cart', [tcp(3000)])
  const envoy = box('envoy', [tcp(9901, 'admin'), tcp(10000, 'http')])
  const worker = box('worker', [])
  const named = 'which kubectl.kubernetes.io/default-container names'
  t.same(inferAppPort([cart, envoy]), inferred(10000, 'the port named http'), 'without it')
  t.same(
    inferAppPort([cart, envoy], 'cart'),
    inferred(3000, `the only declared port of container cart, ${named}`),
    'the container it names decides',
  )
  const probed = box('cart', [tcp(3000), tcp(3001)], { readinessProbe: probe(3001) })
  t.same(
    inferAppPort([probed, envoy], 'cart'),
    inferred(3001, `the readiness probe of container cart, ${named}`),
    'by any step',
  )
  t.same(
    inferAppPort([worker, envoy], 'worker'),
    inferred(10000, 'the port named http'),
    'a container with no port at all leaves it to the others',
  )
  t.same(
    inferAppPort([box('cart', [tcp(3000), tcp(3001)]), envoy], 'cart'),
    open(`container cart, ${named}, declares ports 3000, 3001`),
    'its ambiguity is never settled with another container’s port',
  )
  t.same(
    inferAppPort([cart, envoy], 'istio-proxy'),
    inferAppPort([cart, envoy]),
    'a name that is no app container is ignored',
  )
})
