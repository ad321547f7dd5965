// The meter's histogram of plain numbers against prom-client's own Histogram as the oracle: for
// any observations, in any order over any series, /metrics reads the same, byte for byte.
import fc from 'fast-check'
import { Histogram, Registry } from 'prom-client'
import t from 'tap'
import { DURATION_BUCKETS } from '../../src/meter/metrics.ts'
import { SeriesHistogram } from '../../src/meter/series-histogram.ts'

const NAME = 'meter_http_request_duration_seconds'
const HELP = 'Time from the request head to the last byte of the response.'
const LABELS = ['method', 'route']

/** The same histogram twice: prom-client's, and the meter's; each on a registry of its own. */
function pair() {
  const oracle = new Registry()
  const ours = new Registry()
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: LABELS,
    buckets: DURATION_BUCKETS,
    registers: [oracle],
  })
  const histogram = new SeriesHistogram({
    name: NAME,
    help: HELP,
    labelNames: LABELS,
    buckets: DURATION_BUCKETS,
    registry: ours,
  })
  return { oracle, ours, reference, histogram }
}

// Series as the meter binds them: method and route label values, with characters to escape.
const SERIES = [
  ['GET', '/api/users/:id'],
  ['POST', '/api/users/:id'],
  ['GET', 'other'],
  ['OTHER', '/quote"and\\back\nslash'],
] as const

// Values on, between, below and above the bounds.
const value = fc.oneof(
  fc.constantFrom(0, ...DURATION_BUCKETS),
  fc.double({ min: 0, max: 40, noNaN: true }),
  fc.double({ min: 0, max: 0.002, noNaN: true }),
)

t.test('any observations read as prom-client reads them, byte for byte', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(SERIES.length - 1), value), { maxLength: 60 }),
      fc.boolean(),
      async (observations, resetHalfway) => {
        const { oracle, ours, reference, histogram } = pair()
        // Bound up front, in another order than they are first observed.
        const bound = SERIES.map(([method, route]) => ({
          reference: reference.labels(method, route),
          ours: histogram.series(method, route),
        })).reverse()
        observations.forEach(([series, seconds], i) => {
          const target = bound[series]
          target?.reference.observe(seconds)
          target?.ours(seconds)
          if (resetHalfway && i === Math.floor(observations.length / 2)) {
            oracle.resetMetrics()
            ours.resetMetrics()
          }
        })
        t.equal(await ours.metrics(), await oracle.metrics())
        t.same(await ours.getMetricsAsJSON(), await oracle.getMetricsAsJSON())
      },
    ),
    { numRuns: 200 },
  )
})

t.test('a series is exported once observed, at its bucket, with its sum and count', async (t) => {
  const { ours, histogram } = pair()
  const observe = histogram.series('GET', '/x')
  t.equal(await ours.metrics(), `# HELP ${NAME} ${HELP}\n# TYPE ${NAME} histogram\n`)
  observe(0.003)
  observe(31)
  const text = await ours.metrics()
  t.match(text, `${NAME}_bucket{le="0.0025",method="GET",route="/x"} 0\n`)
  t.match(text, `${NAME}_bucket{le="0.005",method="GET",route="/x"} 1\n`)
  t.match(text, `${NAME}_bucket{le="30",method="GET",route="/x"} 1\n`)
  t.match(text, `${NAME}_bucket{le="+Inf",method="GET",route="/x"} 2\n`)
  t.match(text, `${NAME}_sum{method="GET",route="/x"} 31.003\n`)
  t.match(text, `${NAME}_count{method="GET",route="/x"} 2\n`)
})

t.test('a name is registered once, and label values must all be given', async (t) => {
  const { ours, histogram } = pair()
  t.throws(
    () =>
      new SeriesHistogram({ name: NAME, help: HELP, labelNames: [], buckets: [1], registry: ours }),
    /already been registered/,
  )
  t.throws(() => histogram.series('GET'), /2 label values expected/)
})
