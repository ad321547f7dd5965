// `patterns/sidecar: metrics` added to every Pod template of three public repositories
// (kubernetes/examples, GoogleCloudPlatform/microservices-demo, istio/istio samples; extracted in
// test/fixtures/real-world/pod-templates.json). No HTTP meter may sit in front of a port the
// template itself shows to speak something else; the oracle below reads that from the template
// on its own terms (port names, gRPC probes, the image of a known database or broker), apart from
// src/injection/protocol.ts. What each template gets is pinned in a golden table for review.
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { injectPod } from '../../src/injection/inject-pod.ts'
import { builtinCatalog } from '../helpers/config.ts'
import { checkOrphanGoldens, goldenFolder, matchGoldenText } from '../helpers/golden.ts'

interface Port {
  name?: string
  containerPort: unknown
  protocol?: string
}
interface Extracted {
  name: unknown
  image: unknown
  restartPolicy?: unknown
  ports: Port[]
  probes?: { probe: string; handler: string; port: unknown }[]
}
interface Template {
  source: string
  hostNetwork?: boolean
  defaultContainer?: string
  containers: Extracted[]
  initContainers?: Extracted[]
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/real-world/pod-templates.json', import.meta.url), 'utf8'),
) as { templates: Template[] }

// The container as the Pod has it: its ports, and probes rebuilt from the extracted handlers.
function container(c: Extracted) {
  const probes: Record<string, Record<string, { port: unknown }>> = {}
  for (const { probe, handler, port } of c.probes ?? []) probes[probe] = { [handler]: { port } }
  return {
    name: c.name,
    image: c.image,
    ...(c.restartPolicy !== undefined && { restartPolicy: c.restartPolicy }),
    ...(c.ports.length > 0 && { ports: c.ports }),
    ...probes,
  }
}

function podOf(template: Template) {
  return {
    metadata: {
      annotations: {
        'patterns/sidecar': 'metrics',
        ...(template.defaultContainer && {
          'kubectl.kubernetes.io/default-container': template.defaultContainer,
        }),
      },
    },
    spec: {
      containers: template.containers.map(container),
      ...(template.initContainers && { initContainers: template.initContainers.map(container) }),
      ...(template.hostNetwork && { hostNetwork: true }),
    },
  }
}

// The oracle: what a template shows of a port. A name with a non-HTTP/1.1 protocol prefix
// (Istio's convention), a gRPC probe of it, or the default port of the database or broker its
// container's image is.
const NOT_HTTP1_NAME = /^(grpc(?!-web)|http2|tcp|tls|https|redis|mysql|mongo)(-|$)/
const SERVERS: [RegExp, number[]][] = [
  [/(^|\/)redis[:@]|\/redis$|redis-/, [6379, 26379]],
  [/mysql|mariadb|galera/, [3306, 4567, 4568]],
  [/mongo/, [27017]],
  [/elasticsearch/, [9300]],
  [/postgres/, [5432]],
  [/cassandra/, [7000, 7001, 7199, 9042]],
  [/rethinkdb/, [28015, 29015]],
  [/zookeeper|kafka/, [2181, 2888, 3888, 9092]],
  [/hazelcast/, [5701]],
  [/spark/, [7077]],
  [/cockroach/, [26257]],
]

function speaksOtherThanHttp1(template: Template, port: number): string | undefined {
  for (const c of template.containers) {
    const said = shownBy(c, port)
    if (said) return said
  }
  return undefined
}

function shownBy(c: Extracted, port: number): string | undefined {
  const named = c.ports.find((p) => p.containerPort === port && NOT_HTTP1_NAME.test(p.name ?? ''))
  if (named) return `named ${named.name}`
  if ((c.probes ?? []).some((p) => p.handler === 'grpc' && p.port === port))
    return 'probed over gRPC'
  const image = String(c.image)
  const declared = c.ports.some((p) => p.containerPort === port)
  const server = SERVERS.some(([pattern, ports]) => pattern.test(image) && ports.includes(port))
  return declared && server ? `the default port of ${image}` : undefined
}

interface Outcome {
  source: string
  result: string
}

function outcome(template: Template, t: Test): Outcome {
  const result = injectPod(podOf(template), builtinCatalog, undefined)
  if (!result.ok) return { source: template.source, result: `not a Pod (${result.error})` }
  const { decision } = result
  if (decision.action === 'deny')
    return { source: template.source, result: `denied: ${decision.problems[0]?.message}` }
  if (decision.action === 'skip')
    return { source: template.source, result: `skipped: ${decision.reason}` }
  const meter = decision.plan.upstreams.get('metrics')
  const protocol = decision.plan.protocol
  const other = meter === undefined ? undefined : speaksOtherThanHttp1(template, meter)
  if (other) t.not(protocol, 'http', `${template.source}: port ${meter} is ${other}`)
  const taken = decision.plan.takeover
    ? `, takes over port name ${decision.plan.takeover.name}`
    : ''
  return { source: template.source, result: `${protocol} on port ${meter}${taken}` }
}

t.test(
  'no HTTP/1.1 meter in front of a port a real template shows to speak something else',
  async (t) => {
    const outcomes = fixture.templates.map((template) => outcome(template, t))
    const counts = new Map<string, number>()
    for (const { result } of outcomes) {
      const kind = result.split(/[: ]/)[0] ?? ''
      counts.set(kind, (counts.get(kind) ?? 0) + 1)
    }
    const summary = [...counts].sort().map(([kind, n]) => `${kind}: ${n}`)
    const table = outcomes.map(({ source, result }) => `${source}\t${result}`)
    t.comment(`${fixture.templates.length} templates; ${summary.join(', ')}`)
    matchGoldenText(
      t,
      new URL('real-world-templates.tsv', goldenFolder),
      `# ${fixture.templates.length} templates; ${summary.join(', ')}\n${table.join('\n')}\n`,
    )
  },
)

checkOrphanGoldens(t, import.meta.url)
