// `npm run bench:admission`: where a review's CPU goes inside the webhook, stage by stage, without
// TLS, HTTP or Fastify: the memo's key, decoding (JSON parse and envelope check), admission
// (decision, rendering, patch) and encoding the answer, for every Pod different (the bench's
// `unique` series: nothing is answered from the memo). Beside them, the JSON parse alone, as
// bare Fastify does it in `npm run bench`'s baseline (secure-json-parse with Fastify's options),
// so that what our route does beyond the baseline's own work can be read off.
// A tight loop runs with warm caches: in the server, interleaved with TLS and HTTP, the same
// stages cost more (admission about 1.6x here), so these are lower bounds. Single process,
// nothing listens; about BENCH_REVIEWS x 3 bodies reviews. Settings from the environment:
// BENCH_REVIEWS (20,000 per body; the first quarter warms up), BENCH_BODIES (small,typical,large).
import secureJson from 'secure-json-parse'
import { admit } from '../src/admission/admit.ts'
import { noNamespaces } from '../src/admission/namespaces.ts'
import { encodeReview } from '../src/admission/review.ts'
import { createReviewMemo } from '../src/admission/review-memo.ts'
import { loadCatalog } from '../src/catalog/load.ts'
import { benchBodies, reviewTexts } from './bodies.ts'

const REVIEWS = Number(process.env.BENCH_REVIEWS ?? 20_000)
const BODIES = process.env.BENCH_BODIES?.split(',')
const STAGES = ['parse (bare too)', 'key', 'decode', 'admit', 'encode'] as const
type Stage = (typeof STAGES)[number]

const loaded = loadCatalog(undefined, 'ghcr.io/sidecar-patterns/sidecar-patterns:0.0.0-bench')
if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
const { catalog } = loaded
const namespace = await noNamespaces.get('bench')

console.log(
  `Node ${process.version}; ${REVIEWS} unique reviews per body, the first quarter warm-up`,
)
console.log('µs per review, median of 5 passes; parse is part of decode, and what bare does too\n')
console.log(
  ['body', ...STAGES, 'ours total'].map((c, i) => (i ? c.padStart(17) : c.padEnd(8))).join(''),
)
for (const body of benchBodies().filter((b) => !BODIES || BODIES.includes(b.name))) {
  const next = reviewTexts(body.review, 'unique')
  const texts = Array.from({ length: REVIEWS }, next)
  const passes = Array.from({ length: 5 }, () => measure(texts))
  const median = (stage: Stage) => passes.map((p) => p[stage]).sort((a, b) => a - b)[2] ?? 0
  const ours = median('key') + median('decode') + median('admit') + median('encode')
  const cells = [...STAGES.map(median), ours].map((µs) => µs.toFixed(1).padStart(17))
  console.log(body.name.padEnd(8) + cells.join(''))
}

// One pass over all texts with a fresh memo; the warm-up quarter is not counted.
function measure(texts: readonly string[]): Record<Stage, number> {
  const memo = createReviewMemo<string>((text) => text.length)
  const total: Record<Stage, number> = Object.fromEntries(STAGES.map((s) => [s, 0])) as never
  const counted = texts.length - Math.floor(texts.length / 4)
  texts.forEach((text, i) => {
    const t0 = performance.now()
    secureJson.parse(text, { protoAction: 'error', constructorAction: 'error' })
    const t1 = performance.now()
    const key = memo.keyOf(text)
    const t2 = performance.now()
    const decoded = memo.decode(text, key)
    if (!decoded.ok) throw new Error(`not a review: ${decoded.message}`)
    const t3 = performance.now()
    const { response } = admit(decoded.request, { catalog, namespace })
    const t4 = performance.now()
    encodeReview(response).withUid(decoded.request.uid)
    const t5 = performance.now()
    if (i < texts.length - counted) return
    total['parse (bare too)'] += t1 - t0
    total.key += t2 - t1
    total.decode += t3 - t2
    total.admit += t4 - t3
    total.encode += t5 - t4
  })
  for (const stage of STAGES) total[stage] = (1000 * total[stage]) / counted
  return total
}
