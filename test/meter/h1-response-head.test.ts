// How the fast path reads the app's response heads: framing by status, method and fields, and
// what it refuses to guess at (a 502 for the client).
import t from 'tap'
import { headEnd } from '../../src/meter/h1-heads.ts'
import { parseResponseHead } from '../../src/meter/h1-response-head.ts'

t.test('response heads: framing by status, method and fields', async (t) => {
  const response = (text: string, method = 'GET') => {
    const bytes = Buffer.from(text, 'latin1')
    return parseResponseHead(bytes, headEnd(bytes, 0), method)
  }
  t.match(response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'), {
    status: 200,
    reason: 'OK',
    framing: 'length',
    length: 3,
    keepAlive: true,
  })
  t.match(response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), { framing: 'chunked' })
  t.match(response('HTTP/1.1 200 OK\r\n\r\n'), { framing: 'close', keepAlive: false })
  t.match(response('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n'), { keepAlive: false })
  for (const [connection, keepAlive] of [
    ['close', false],
    ['Close', false],
    ['x-a, close', false],
    ['close, x', false],
    ['keep-alive', true],
    ['Keep-Alive', true],
    ['x-closed', true],
  ] as const)
    t.match(
      response(`HTTP/1.1 200 OK\r\nConnection: ${connection}\r\nContent-Length: 1\r\n\r\n`),
      { keepAlive },
      `Connection: ${connection}`,
    )
  t.match(response('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', 'HEAD'), {
    framing: 'none',
    length: 9,
  })
  for (const status of [204, 304, 103])
    t.match(response(`HTTP/1.1 ${status} X\r\nContent-Length: 9\r\n\r\n`), { framing: 'none' })
  t.match(response('HTTP/1.1 201\r\nDate: x\r\nKeep-Alive: timeout=5\r\n\r\n'), {
    reason: '',
    hasDate: true,
    idleHintMs: 5000,
  })
  t.match(response('HTTP/1.1 200 Gr\xfc\xdfe\r\nX-File: caf\xe9\r\nContent-Length: 0\r\n\r\n'), {
    reason: 'Gr\xfc\xdfe',
    fields: ['X-File', 'caf\xe9', 'Content-Length', '0'],
  })
  for (const broken of [
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX : y\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 200 O\x01K\r\n\r\n',
    'HTTP/1.1 099 Low\r\n\r\n',
    'HTTP/1.1 2x0 OK\r\n\r\n',
    'HTTP/1.2 200 OK\r\n\r\n',
    'HTTP/1.1 200OK\r\n\r\n',
  ])
    t.equal(response(broken), undefined, JSON.stringify(broken))
})
