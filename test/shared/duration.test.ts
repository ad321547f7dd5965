// The one duration format of every flag, setting and annotation: whole h, m, s and ms, largest
// unit first, as Go's time.ParseDuration reads them.
import t from 'tap'
import { durationError, formatDuration, parseDuration } from '../../src/shared/duration.ts'

t.test('whole units, largest first, each at most once', async (t) => {
  const cases: [string, number][] = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1h2m3s4ms', 3_723_004],
    ['0s', 0],
  ]
  for (const [raw, ms] of cases) t.equal(parseDuration(raw), ms, raw)
  for (const raw of ['', '30', '1.5s', '1d', '-1s', 's', '1s5m', '5m5m', '1 s', '12345h', '30S'])
    t.equal(parseDuration(raw), undefined, `not a duration: ${JSON.stringify(raw)}`)
})

t.test('errors say what was written and what is allowed', async (t) => {
  t.equal(durationError('30', 0), '"30" is not a duration such as 30s, 5m or 1h30m')
  t.equal(durationError('0s', 1), '"0s" is not longer than 0s')
  t.equal(durationError('500ms', 1000), '"500ms" is shorter than 1s')
  t.equal(durationError('2m', 0, 60_000), '"2m" is longer than 1m')
  t.equal(durationError('1m', 0, 60_000), undefined)
})

t.test('formatted in the same format, so messages read as flags are written', async (t) => {
  for (const raw of ['0s', '1s', '1m30s', '1h', '2h0m5s500ms'.replace('0m', ''), '250ms'])
    t.equal(formatDuration(parseDuration(raw) ?? -1), raw)
})
