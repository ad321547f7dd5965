// A histogram whose observations are plain additions to the numbers of a series bound once, read
// by Prometheus' scrape through the registry: on the request path a bucket search and three
// additions, instead of prom-client's Histogram child re-validating the labels, hashing them into
// a string and looking the series up on every observation (lib/histogram.js, observe). It is
// registered with prom-client's public Registry.registerMetric and answers get() with the samples
// a prom-client Histogram of the same name, labels and buckets gives for the same observations:
// the same text on /metrics (test/meter/series-histogram.test.ts compares both).
import type { Histogram, Registry } from 'prom-client'

/** One series' observation of a value (seconds, for the meter's durations). */
export type Observe = (value: number) => void

interface Cell {
  readonly labels: Readonly<Record<string, string>>
  /** Observations per bucket, not cumulative; the last one counts values above every bound. */
  readonly counts: number[]
  sum: number
  count: number
  /** Observed since the last reset: only such series are exported, as prom-client does. */
  seen: boolean
}

/** What the registry reads of a metric (prom-client's metric interface, as registry.js uses it). */
interface RegisteredMetric {
  readonly name: string
  readonly help: string
  readonly type: 'histogram'
  readonly aggregator: 'sum'
  get(): Promise<Samples>
  reset(): void
}

// What get() answers, as registry.js reads it (prom-client's typings give `type` as a numeric
// enum, where its metrics carry the string).
interface Samples {
  readonly name: string
  readonly help: string
  readonly type: 'histogram'
  readonly values: Sample[]
  readonly aggregator: 'sum'
}

interface Sample {
  value: number
  metricName: string
  /** Empty: null on buckets, undefined on _sum and _count, as on prom-client's samples. */
  exemplar: null | undefined
  labels: Record<string, string | number>
}

// A sample with its keys in the order of prom-client's (getMetricsAsJSON shows them so).
function sample(
  metricName: string,
  value: number,
  exemplar: null | undefined,
  labels: Sample['labels'],
): Sample {
  return { value, metricName, exemplar, labels }
}

export interface SeriesHistogramOptions {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  readonly buckets: readonly number[]
  readonly registry: Registry
}

/** A histogram with labels, registered on `registry`, whose series are bound once by series(). */
export class SeriesHistogram implements RegisteredMetric {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  /** As on prom-client's metrics, which readers of the registry's metrics look at. */
  readonly labelNames: readonly string[]
  readonly #bounds: readonly number[]
  /** Series in the order of their first observation, the order prom-client exports them in. */
  #seen: Cell[] = []

  constructor({ name, help, labelNames, buckets, registry }: SeriesHistogramOptions) {
    this.name = name
    this.help = help
    this.labelNames = labelNames
    this.#bounds = [...buckets] // ascending, as prom-client takes them
    // The registry calls only what RegisteredMetric names; its types list prom-client's classes.
    registry.registerMetric(this as unknown as Histogram)
  }

  /** The observation of the series whose label values are `values`, in labelNames' order. */
  series(...values: string[]): Observe {
    if (values.length !== this.labelNames.length)
      throw new Error(`${this.name}: ${this.labelNames.length} label values expected`)
    const labels: Record<string, string> = {}
    this.labelNames.forEach((name, i) => {
      labels[name] = values[i] as string
    })
    const bounds = this.#bounds
    const cell: Cell = { labels, counts: bounds.map(() => 0), sum: 0, count: 0, seen: false }
    cell.counts.push(0)
    return (value) => {
      let i = 0
      while (i < bounds.length && !(value <= (bounds[i] as number))) i++
      ;(cell.counts[i] as number)++
      cell.sum += value
      cell.count++
      if (cell.seen) return
      cell.seen = true
      this.#seen.push(cell)
    }
  }

  /** The samples of every observed series: cumulative buckets, +Inf, _sum and _count. */
  async get(): Promise<Samples> {
    const { name } = this
    const values: Sample[] = []
    for (const { labels, counts, sum, count } of this.#seen) {
      let cumulative = 0
      this.#bounds.forEach((le, i) => {
        cumulative += counts[i] as number
        values.push(sample(`${name}_bucket`, cumulative, null, { le, ...labels }))
      })
      values.push(sample(`${name}_bucket`, count, null, { le: '+Inf', ...labels }))
      values.push(sample(`${name}_sum`, sum, undefined, { ...labels }))
      values.push(sample(`${name}_count`, count, undefined, { ...labels }))
    }
    return { name, help: this.help, type: 'histogram', values, aggregator: 'sum' }
  }

  /** Forgets every observation (prom-client's Registry.resetMetrics). */
  reset(): void {
    for (const cell of this.#seen) {
      cell.counts.fill(0)
      cell.sum = 0
      cell.count = 0
      cell.seen = false
    }
    this.#seen = []
  }
}
