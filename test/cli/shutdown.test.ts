// SIGTERM with reviews in flight: several keep-alive connections send reviews without pause while
// the webhook is stopped. Readiness turns false first, every review the server accepted is
// answered, and only new connections are refused once the listener is closed.
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { Client } from 'undici'
import { watchLog } from '../helpers/cli.ts'
import { until, within } from '../helpers/eventually.ts'
import { podReview } from '../helpers/reviews.ts'
import { startServe } from '../helpers/serve-process.ts'

interface Tally {
  answered: number
  failed: string[]
  refused: number
}

// Sends reviews one after another on one keep-alive connection until the server refuses a new
// one. A failure to connect (refused, or reset before TLS completes, as a listener that closes
// resets its backlog) means the server never accepted that review; anything else is a failure.
async function sendUntilRefused(origin: string, ca: string, tally: Tally, stop: () => boolean) {
  const body = JSON.stringify(podReview('shop', { 'patterns/sidecar': 'metrics' }))
  let connectFailed = false
  const client = new Client(origin, { connect: { ca } }).on('connectionError', () => {
    connectFailed = true
  })
  while (!stop() && !connectFailed) {
    try {
      const response = await client.request({
        method: 'POST',
        path: '/mutate',
        body,
        headers: { 'content-type': 'application/json' },
      })
      const text = await response.body.text()
      if (response.statusCode === 200 && text.includes('"allowed":true')) tally.answered++
      else tally.failed.push(`${response.statusCode} ${text.slice(0, 80)}`)
    } catch (error) {
      if (!connectFailed) tally.failed.push(String((error as { code?: string }).code ?? error))
    }
  }
  if (connectFailed) tally.refused++
  await client.close().catch(() => undefined)
}

t.test('no accepted review fails while the webhook shuts down', async (t) => {
  const { child, origin, certDir } = await startServe(t, ['--shutdown-delay', '1s'])
  const log = watchLog(child)
  const ca = await readFile(join(certDir, 'ca.crt'), 'utf8')
  const exited = once(child, 'exit')
  let done = false
  const tally: Tally = { answered: 0, failed: [], refused: 0 }
  const senders = Array.from({ length: 4 }, () => sendUntilRefused(origin, ca, tally, () => done))
  await until(() => tally.answered >= 20, {
    what: () => `reviews to flow before the signal (${tally.answered} answered)`,
  })
  const before = tally.answered
  child.kill('SIGTERM')
  // Logged just before the server starts draining, in the same turn.
  await within(
    log.waitFor((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM'),
    { what: 'the webhook to log that SIGTERM started the shutdown' },
  )
  const readiness = new Client(origin, { connect: { ca } })
  const ready = await readiness.request({ method: 'GET', path: '/readyz' })
  t.equal(ready.statusCode, 503, 'not ready as soon as the signal arrives')
  await ready.body.text()
  await readiness.close()
  // The senders stop by themselves when the closed listener refuses them; this deadline only
  // stops them if it never does, and the count of refusals below then fails.
  const timer = setTimeout(() => {
    done = true
  }, 10_000)
  await Promise.all(senders)
  clearTimeout(timer)
  t.same(await exited, [0, null], 'exits 0')
  t.ok(
    before > 0 && tally.answered > before,
    `reviews answered during the drain (${tally.answered} in all)`,
  )
  t.same(tally.failed, [], 'no accepted review failed')
  t.equal(tally.refused, 4, 'each sender was refused a new connection at the end, and only then')
})
