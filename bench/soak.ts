// `npm run soak [-- --count N --connections N --max-time DURATION]`: a long run that shows
// whether the webhook's memory stays flat. It sends N reviews (default 1,000,000) over keep-alive HTTPS
// connections to the webhook in a child process started with --expose-gc, and prints the
// child's memory after a full GC before the first review, every tenth of the run, and at the end,
// then the answers by status and anything unexpected. Reviews cycle through what a cluster sends:
// small and typical Pods that get sidecars, a large one, Pods that ask for nothing, a denial and
// a truncated body, each with a uid of its own that the answer must echo. Pods of one template
// are answered from the review memo from their third review on; the Pods numbered by a label are
// all different, so the memo's digests of texts seen once keep filling to their limit and
// dropping the oldest.
// Not part of `npm test`: at a few thousand reviews a second a million take several minutes.
// It stops by itself after --max-time (default 15m) whatever the count.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { DURATION_EXAMPLES, parseDuration } from '../src/shared/duration.ts'
import { loadOrCreate, serviceNames } from '../src/tls/certificates.ts'
import { benchBodies, type Review } from './bodies.ts'
import { type ChildServer, type Memory, startChild } from './servers.ts'

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    connections: { type: 'string', default: '8' },
    'max-time': { type: 'string', default: '15m' },
  },
})
const COUNT = positive('count')
const CONNECTIONS = positive('connections')
const MAX_MS = parseDuration(flags['max-time']) ?? 0
if (MAX_MS < 1000) throw new Error(`--max-time must be a duration such as ${DURATION_EXAMPLES}`)
const INTERVAL = Math.max(1, Math.round(COUNT / 10))

function positive(name: keyof typeof flags): number {
  const n = Number(flags[name])
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`)
  return n
}

/** A review as text around its uid, so that each request gets its own cheaply. */
interface Variant {
  name: string
  weight: number
  status: number
  before: string
  after: string
}

const UID = 'UID-PLACEHOLDER'
const NUMBER = 'POD-NUMBER-PLACEHOLDER'

function variant(name: string, weight: number, review: Review, status = 200): Variant {
  const text = JSON.stringify({ ...review, request: { ...review.request, uid: UID } })
  const [before = '', after = ''] = text.split(`"${UID}"`)
  return { name, weight, status, before: `${before}"`, after: `"${after}` }
}

function variants(): Variant[] {
  const [small, typical, large] = benchBodies().map((b) => b.review)
  if (!small || !typical || !large) throw new Error('bench/bodies.ts has three bodies')
  const annotated = (review: Review, annotations: Record<string, string>) => {
    const copy = structuredClone(review)
    copy.request.object.metadata.annotations = annotations
    return copy
  }
  const numbered = structuredClone(small)
  numbered.request.object.metadata.labels = { 'bench.sidecar-patterns/pod': NUMBER }
  const truncated = variant('truncated', 1, small, 400)
  return [
    variant('small, injected', 40, small),
    variant('typical, injected', 20, typical),
    variant('large, injected', 4, large),
    variant('unique Pods, injected', 10, numbered),
    variant('not annotated', 25, annotated(small, {})),
    variant('denied', 10, annotated(small, { 'patterns/sidecar': 'metrics, nope' })),
    { ...truncated, after: truncated.after.slice(0, 40) },
  ]
}

/** The variants in a fixed cycle, each as often as its weight says. */
function schedule(all: Variant[]): Variant[] {
  return all.flatMap((v) => Array.from({ length: v.weight }, () => v))
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
function printMemory(label: string, m: Memory) {
  const cells = [
    `rss ${mib(m.rss)}`,
    `heapUsed ${mib(m.heapUsed)}`,
    `heapTotal ${mib(m.heapTotal)}`,
    `external ${mib(m.external)}`,
    `arrayBuffers ${mib(m.arrayBuffers)}`,
  ]
  console.log(`${label.padEnd(22)} ${cells.join('  ')}`)
}

interface Totals {
  statuses: Map<number, number>
  errors: Map<string, number>
  unexpected: string[]
}

async function soak(server: ChildServer, pool: Pool, cycle: Variant[]) {
  const totals: Totals = { statuses: new Map(), errors: new Map(), unexpected: [] }
  const started = performance.now()
  let next = 0
  let done = 0
  const memory: Memory[] = []
  const checkpoint = async (answered: number) => {
    const seconds = (performance.now() - started) / 1000
    const m = await server.memory()
    memory.push(m)
    printMemory(`${answered} (${Math.round(answered / seconds)}/s)`, m)
  }
  const send = async (i: number) => {
    const v = cycle[i % cycle.length] as Variant
    const uid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
    try {
      const answer = await pool.request({
        path: '/mutate',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `${v.before}${uid}${v.after.replace(NUMBER, String(i))}`,
      })
      const text = await answer.body.text()
      const { statusCode } = answer
      totals.statuses.set(statusCode, (totals.statuses.get(statusCode) ?? 0) + 1)
      const echoed = statusCode !== 200 || text.includes(`"uid":"${uid}"`)
      if ((statusCode !== v.status || !echoed) && totals.unexpected.length < 10)
        totals.unexpected.push(`${v.name}: ${statusCode} ${text.slice(0, 200)}`)
    } catch (error) {
      const key = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      totals.errors.set(key, (totals.errors.get(key) ?? 0) + 1)
    }
  }
  const worker = async () => {
    while (next < COUNT && performance.now() - started < MAX_MS) {
      await send(next++)
      if (++done % INTERVAL === 0) await checkpoint(done)
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  return { totals, memory, seconds: (performance.now() - started) / 1000, sent: done }
}

const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-soak-'))
const { certificate } = await loadOrCreate(dir, serviceNames('sidecar-patterns', 'soak'))
const server = await startChild('ours', certificate, ['--expose-gc'])
const pool = new Pool(`https://127.0.0.1:${server.port}`, {
  connections: CONNECTIONS,
  connect: { ca: certificate.ca ?? '' },
})
try {
  const all = variants()
  console.log(
    `Node ${process.version}: ${COUNT} reviews, ${CONNECTIONS} keep-alive HTTPS connections`,
  )
  console.log(`In a cycle of ${all.map((v) => `${v.weight} ${v.name}`).join('; ')}`)
  console.log('Memory of the webhook process after a full GC, by reviews answered:')
  const before = await server.memory()
  printMemory('before', before)
  const { totals, memory, seconds, sent } = await soak(server, pool, schedule(all))
  const after = await server.memory()
  printMemory('after', after)
  console.log(`\n${sent} reviews in ${seconds.toFixed(1)} s, ${Math.round(sent / seconds)}/s`)
  console.log(`by status: ${JSON.stringify(Object.fromEntries(totals.statuses))}`)
  console.log(`errors: ${JSON.stringify(Object.fromEntries(totals.errors))}`)
  console.log(`unexpected answers: ${totals.unexpected.length ? totals.unexpected.join('\n') : 0}`)
  // The heap grows to its working size early on; a leak shows as growth after that.
  const half = memory[Math.floor(memory.length / 2) - 1] ?? before
  const growth = (f: keyof Memory) => `${f} ${mib(after[f] - half[f])}`
  console.log(
    `growth over the second half: ${growth('rss')}, ${growth('heapUsed')}, ${growth('external')}`,
  )
  if (sent < COUNT) console.log(`stopped after --max-time ${flags['max-time']}`)
} finally {
  await pool.close()
  await server.close()
  await rm(dir, { recursive: true, force: true })
}
