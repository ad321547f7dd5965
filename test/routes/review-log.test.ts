// The review log line (README, "Logs"): one per review, at info, and at warn for a refusal,
// whether the answer was computed or came from the review memo.
import t from 'tap'
import { fixtureText } from '../helpers/fixtures.ts'
import { startWebhook } from '../helpers/https.ts'
import { capturingLog } from '../helpers/log.ts'
import { podReview } from '../helpers/reviews.ts'

const WARN = 40
const INFO = 30

t.test('a refused Pod is logged at warn, every other review at info', async (t) => {
  const { log: logger, lines } = capturingLog<{
    level: number
    msg: string
    review?: { result: string; cache: string }
  }>()
  const webhook = await startWebhook(t, { logger })
  const refused = JSON.stringify(podReview('shop', { 'patterns/sidecar': 'no-such-sidecar' }))
  // Three times: computed, computed and kept, then answered from the memo.
  for (let i = 0; i < 3; i++) t.equal((await webhook.post('/mutate', refused)).status, 200)
  await webhook.post(
    '/mutate',
    JSON.stringify(podReview('shop', { 'patterns/sidecar': 'metrics' })),
  )
  await webhook.post('/mutate', fixtureText('reviews', 'not-a-pod.json'))
  const reviews = lines.filter((l) => l.msg === 'admission review')
  t.same(
    reviews.map((l) => [l.level, l.review?.result, l.review?.cache]),
    [
      [WARN, 'denied', 'miss'],
      [WARN, 'denied', 'miss'],
      [WARN, 'denied', 'hit'],
      [INFO, 'injected', 'miss'],
      [INFO, 'ignored', 'bypass'],
    ],
  )
})
