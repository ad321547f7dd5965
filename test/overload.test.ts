// Load shedding: when the event loop runs a second late, reviews are answered 503 at once, a fast
// and clear refusal the API server turns into its failure policy, instead of an answer that would
// arrive after it gave up. The server recovers by itself once the loop keeps time again.
import { setTimeout as timersPhase } from 'node:timers/promises'
import t from 'tap'
import { noNamespaces } from '../src/admission/namespaces.ts'
import { buildServer, MAX_EVENT_LOOP_DELAY_MS } from '../src/server.ts'
import { builtinCatalog } from './helpers/config.ts'
import { until } from './helpers/eventually.ts'
import { podReview } from './helpers/reviews.ts'

const block = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // Busy, as a server whose event loop is saturated.
  }
}

// Under-pressure samples the loop's mean delay once a second, over the turns since its last
// sample, so a single long block can be averaged away by the quick turns before it (how many
// depends on how long the test took to get there). The loop is kept late instead, each turn 1.5
// times the limit: the first sample after that may still mix in quick turns, the next sees only
// late ones. Two turns always did; three leave room.
const MAX_LATE_TURNS = 3

t.test('a late event loop sheds reviews with 503, then recovers', async (t) => {
  const app = buildServer({ catalog: () => builtinCatalog, namespaces: noNamespaces })
  t.teardown(() => app.close())
  await app.ready()
  const review = () =>
    app.inject({
      method: 'POST',
      url: '/mutate',
      payload: podReview('shop', { 'patterns/sidecar': 'metrics' }),
    })
  t.equal((await review()).statusCode, 200, 'served while the loop keeps time')

  for (let turns = 0; turns < MAX_LATE_TURNS && !app.isUnderPressure(); turns++) {
    block(MAX_EVENT_LOOP_DELAY_MS * 1.5)
    // Into the loop's timers phase, where under-pressure's overdue timer samples before this one.
    await timersPhase(0)
  }
  t.ok(app.isUnderPressure(), `the server saw its loop late within ${MAX_LATE_TURNS} turns`)
  const shed = await review()
  t.equal(shed.statusCode, 503, 'shed at once')
  t.match(shed.json(), { statusCode: 503, error: 'Service Unavailable' })

  await until(() => !app.isUnderPressure(), {
    what: 'under-pressure to sample a loop that keeps time again',
  })
  t.equal((await review()).statusCode, 200, 'served again once the loop keeps time')
})
