// How an error from the request to the app becomes a kind for the metrics and an answer.
import t from 'tap'
import { errors } from 'undici'
import { CONNECT_TIMEOUT, classifyFailure } from '../../src/meter/failures.ts'

const coded = (code: string, extra: object = {}) => Object.assign(new Error(code), { code }, extra)

t.test('refused or unreachable: 502, connect', async (t) => {
  for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND']) {
    t.match(classifyFailure(coded(code)), { kind: 'connect', status: 502 }, code)
  }
  // Happy eyeballs: every address tried, each failure inside an AggregateError.
  const aggregate = Object.assign(new AggregateError([coded('ECONNREFUSED')]), { code: undefined })
  t.match(classifyFailure(aggregate), { kind: 'connect', status: 502 })
  t.match(classifyFailure(new errors.ConnectTimeoutError()), { kind: 'connect', status: 504 })
  t.match(classifyFailure(coded(CONNECT_TIMEOUT)), { kind: 'connect', status: 504 }, 'fast path')
})

t.test('silent too long: 504, timeout', async (t) => {
  t.match(classifyFailure(new errors.HeadersTimeoutError()), { kind: 'timeout', status: 504 })
  t.match(classifyFailure(new errors.BodyTimeoutError()), { kind: 'timeout', status: 504 })
  t.match(classifyFailure(coded('ETIMEDOUT')), { kind: 'timeout', status: 504 })
})

t.test('a broken connection or anything unknown: 502, reset', async (t) => {
  t.match(classifyFailure(new errors.SocketError('other side closed')), { kind: 'reset' })
  t.match(classifyFailure(coded('UND_ERR_SOCKET', { cause: coded('ECONNRESET') })), {
    kind: 'reset',
  })
  t.match(classifyFailure(new errors.ResponseContentLengthMismatchError()), { kind: 'reset' })
  t.match(classifyFailure('not even an error'), { kind: 'reset', status: 502 })
})

t.test('a request undici cannot send is the client’s problem: 400, not counted', async (t) => {
  t.same(classifyFailure(new errors.InvalidArgumentError('invalid path')), {
    kind: undefined,
    status: 400,
    body: '400 Bad Request: the meter cannot forward this request.\n',
  })
})

t.test('answers are one short line', async (t) => {
  t.equal(
    classifyFailure(coded('ECONNREFUSED')).body,
    '502 Bad Gateway: the app is not accepting connections.\n',
  )
  t.equal(
    classifyFailure(coded('ETIMEDOUT')).body,
    '504 Gateway Timeout: the app did not answer in time.\n',
  )
})
