// Restart delays: doubling from the initial delay to the ceiling, jittered, reset on success.
import t from 'tap'
import { backoff, DEFAULT_BACKOFF } from '../../src/kube/backoff.ts'

t.test('doubles up to the maximum, between half the ceiling and the ceiling', async (t) => {
  const low = backoff({ initialMs: 100, maxMs: 1000 }, () => 0)
  t.same(
    [1, 2, 3, 4, 5, 6].map(() => low.next()),
    [50, 100, 200, 400, 500, 500],
  )
  const high = backoff({ initialMs: 100, maxMs: 1000 }, () => 1)
  t.same(
    [1, 2, 3, 4, 5, 6].map(() => high.next()),
    [100, 200, 400, 800, 1000, 1000],
  )
})

t.test('starts over after reset()', async (t) => {
  const delays = backoff({ initialMs: 100, maxMs: 1000 }, () => 1)
  delays.next()
  delays.next()
  delays.reset()
  t.equal(delays.next(), 100)
})

t.test("defaults to client-go's reflector backoff, 800 ms to 30 s", async (t) => {
  t.same(DEFAULT_BACKOFF, { initialMs: 800, maxMs: 30_000 })
  const delays = backoff(undefined, () => 1)
  for (let i = 0; i < 100; i++) delays.next()
  t.equal(delays.next(), 30_000, 'never beyond the maximum, however many failures')
})
