// Fields crossing the meter: hop-by-hop ones dropped both ways (RFC 9110 section 7.6.1), from a 101
// too but for its handshake; the others passed in order with their case, X-Forwarded-* added.
import t from 'tap'
import {
  clientResponseHeaders,
  switchedResponseHeaders,
  upstreamHead,
} from '../../src/meter/headers.ts'

t.test(
  'a request keeps its end-to-end fields, in order and case, and gains X-Forwarded-*',
  async (t) => {
    const head = upstreamHead(
      ['Host', 'app.example', 'Accept', '*/*', 'Connection', 'keep-alive', 'X-Custom', 'a'],
      '10.0.0.7',
    )
    t.same(head, {
      headers: [
        ...['Host', 'app.example', 'Accept', '*/*', 'X-Custom', 'a'],
        ...['x-forwarded-for', '10.0.0.7', 'x-forwarded-proto', 'http'],
      ],
      hasBody: false,
    })
  },
)

t.test('hop-by-hop fields go, and so do the fields Connection names', async (t) => {
  const head = upstreamHead(
    [
      ...['Connection', 'keep-alive, X-Hop', 'Keep-Alive', 'timeout=5', 'TE', 'trailers'],
      ...['Proxy-Connection', 'keep-alive', 'Upgrade', 'h2c', 'X-Hop', 'secret'],
      ...['Transfer-Encoding', 'chunked', 'Expect', '100-continue', 'X-End', 'kept'],
    ],
    '127.0.0.1',
  )
  t.same(head.headers, [
    ...['X-End', 'kept'],
    ...['x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http'],
  ])
  t.equal(head.hasBody, true, 'Transfer-Encoding announces a body')
})

t.test(
  'X-Forwarded-For is appended to, X-Forwarded-Proto from a proxy in front is kept',
  async (t) => {
    const head = upstreamHead(
      [
        ...['X-Forwarded-For', '203.0.113.1', 'X-Forwarded-Proto', 'https'],
        ...['x-forwarded-for', '10.1.0.1', 'Content-Length', '3'],
      ],
      '10.2.0.2',
    )
    t.same(head.headers, [
      ...['X-Forwarded-Proto', 'https', 'Content-Length', '3'],
      ...['x-forwarded-for', '203.0.113.1, 10.1.0.1, 10.2.0.2'],
    ])
    t.equal(head.hasBody, true)
    t.equal(upstreamHead(['Content-Length', '0'], undefined).hasBody, false)
  },
)

t.test('a client cannot make the meter drop the fields it adds', async (t) => {
  const head = upstreamHead(
    ['Connection', 'X-Forwarded-For, X-Forwarded-Proto', 'X-Forwarded-For', '1.2.3.4'],
    '10.0.0.1',
  )
  t.same(head.headers, ['x-forwarded-for', '10.0.0.1', 'x-forwarded-proto', 'http'])
})

t.test('a response loses its hop-by-hop fields and keeps repeated ones', async (t) => {
  const fields = clientResponseHeaders({
    'content-type': 'text/plain',
    connection: 'keep-alive, x-internal',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'x-internal': 'hop',
    'set-cookie': ['a=1', 'b=2'],
    trailer: 'x-checksum',
    upgrade: 'h2c',
  })
  t.same(fields, [
    ...['content-type', 'text/plain', 'set-cookie', 'a=1', 'set-cookie', 'b=2'],
    ...['trailer', 'x-checksum'],
  ])
})

t.test(
  'a 101 loses the same fields, and keeps only the handshake’s Connection and Upgrade',
  async (t) => {
    const fields = switchedResponseHeaders([
      ...['Upgrade', 'websocket', 'Connection', 'Upgrade, X-Internal', 'X-Internal', 'hop'],
      ...['Keep-Alive', 'timeout=5', 'Proxy-Connection', 'keep-alive', 'TE', 'trailers'],
      ...['Transfer-Encoding', 'chunked', 'Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ])
    t.same(fields, [
      ...['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
      ...['connection', 'upgrade', 'upgrade', 'websocket'],
    ])
    t.same(switchedResponseHeaders(['X-App', 'yes']), ['X-App', 'yes'], 'no Upgrade, none added')
  },
)
