// Load shedding: when the event loop runs a second late, reviews are answered 503 at once, a fast
// and clear refusal the API server turns into its failure policy, instead of an answer that would
// arrive after it gave up. The server recovers by itself once the loop keeps time again.
import t from 'tap'
import { noNamespaces } from '../src/admission/namespaces.ts'
import { buildServer, MAX_EVENT_LOOP_DELAY_MS } from '../src/server.ts'
import { builtinCatalog } from './helpers/config.ts'
import { podReview } from './helpers/reviews.ts'

const block = (ms: number) => {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // Busy, as a server whose event loop is saturated.
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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

  // Under-pressure samples the loop's delay once a second: block across a sample, then let it run.
  block(MAX_EVENT_LOOP_DELAY_MS * 2.5)
  await sleep(50)
  const shed = await review()
  t.equal(shed.statusCode, 503, 'shed at once')
  t.match(shed.json(), { statusCode: 503, error: 'Service Unavailable' })

  let recovered = 0
  for (let i = 0; i < 40 && recovered !== 200; i++) {
    await sleep(100)
    recovered = (await review()).statusCode
  }
  t.equal(recovered, 200, 'served again once the loop keeps time')
})
