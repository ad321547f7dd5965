// The fast path's reading of HTTP/1.1 request heads: which it frames itself and which it leaves
// to node:http (with the smuggling cases of the literature among them), and, against node:http's
// own parser as the oracle, that any request it takes is framed exactly as node:http frames it.
import fc from 'fast-check'
import t from 'tap'
import { BROKEN, headEnd, parseRequestHead, type RequestHead } from '../../src/meter/h1-heads.ts'
import { nodeOracle } from './node-oracle.ts'

/** The request head of `text` (which must hold a complete head), or the reason it is refused. */
function request(text: string): RequestHead | string {
  const bytes = Buffer.from(text, 'latin1')
  const end = headEnd(bytes, 0)
  if (end === BROKEN) return 'line-ending'
  if (end < 0) throw new Error(`incomplete head: ${JSON.stringify(text)}`)
  return parseRequestHead(bytes, end)
}

const H = 'Host: app\r\n'

t.test('ordinary heads are framed by the fast path', async (t) => {
  const rows: [string, Partial<RequestHead>][] = [
    [`GET / HTTP/1.1\r\n${H}\r\n`, { method: 'GET', target: '/', framing: 'none', close: false }],
    [
      `GET /api/users/7?fields=name&x=%20 HTTP/1.1\r\n${H}Accept: */*\r\n\r\n`,
      { target: '/api/users/7?fields=name&x=%20', framing: 'none' },
    ],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: 12\r\n\r\n`, { framing: 'length', length: 12 }],
    [`POST /a HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, { framing: 'none', length: 0 }],
    [`PUT /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`, { framing: 'chunked' }],
    [`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, { close: true }],
    [`GET / HTTP/1.1\r\n${H}Connection: Keep-Alive\r\n\r\n`, { close: false }],
    [`PROPFIND /dav HTTP/1.1\r\n${H}Depth: 1\r\n\r\n`, { method: 'PROPFIND' }],
    [`GET / HTTP/1.1\r\n${H}X-Empty:\r\nX-Pad: \t padded \t\r\n\r\n`, { framing: 'none' }],
  ]
  for (const [text, expected] of rows) t.match(request(text), expected, JSON.stringify(text))
  const head = request(`GET / HTTP/1.1\r\n${H}X-Pad: \t padded  value \t\r\nX-Empty:\r\n\r\n`)
  t.same((head as RequestHead).fields, ['Host', 'app', 'X-Pad', 'padded  value', 'X-Empty', ''])
})

t.test('anything else goes to node:http, with the reason', async (t) => {
  const rows: [string, string][] = [
    // The request line.
    ['GET / HTTP/1.0\r\n\r\n', 'request-line'],
    [`GET http://app/ HTTP/1.1\r\n${H}\r\n`, 'request-line'], // absolute form
    [`OPTIONS * HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`CONNECT app:443 HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`GET  / HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`GET / HTTP/1.1 \r\n${H}\r\n`, 'request-line'],
    [`GET /a#frag HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`GET /a\\b HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`G(T / HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`GETS / HTTP/1.1\r\n${H}\r\n`, 'request-line'], // a token node:http answers 400
    [`get / HTTP/1.1\r\n${H}\r\n`, 'request-line'],
    [`\r\nGET / HTTP/1.1\r\n${H}\r\n`, 'request-line'], // a leading empty line
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'request-line'],
    // Line ends and bytes no field may hold.
    [`GET / HTTP/1.1\n${H}\r\n`, 'line-ending'],
    [`GET / HTTP/1.1\r\nHost: app\n\r\n`, 'line-ending'],
    [`GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, 'line-ending'],
    [`GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`, 'line-ending'],
    [`GET / HTTP/1.1\r\n${H}X: caf\xe9\r\n\r\n`, 'field'],
    [`GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`, 'field'],
    [`GET / HTTP/1.1\r\n${H}X : a\r\n\r\n`, 'field'],
    [`GET / HTTP/1.1\r\n${H}X: a\r\n folded\r\n\r\n`, 'field'],
    [`GET / HTTP/1.1\r\n${H}: a\r\n\r\n`, 'field'],
    [`GET / HTTP/1.1\r\n${H}X(y): a\r\n\r\n`, 'field'],
    // Hosts.
    ['GET / HTTP/1.1\r\n\r\n', 'host'],
    [`GET / HTTP/1.1\r\n${H}${H}\r\n`, 'host'],
    // What node:http answers itself, or hands to the tunnel.
    [`GET /ws HTTP/1.1\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`, 'upgrade'],
    [`GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`, 'connection'],
    [`POST / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 1\r\n\r\n`, 'expect'],
    [`GET / HTTP/1.1\r\n${H}Connection: close, X-Token\r\nX-Token: a\r\n\r\n`, 'connection'],
    [
      `POST / HTTP/1.1\r\n${H}Connection: Content-Length\r\nContent-Length: 5\r\n\r\n`,
      'connection',
    ],
  ]
  for (const [text, reason] of rows) t.equal(request(text), reason, JSON.stringify(text))
})

t.test('the framing fields of request smuggling go to node:http', async (t) => {
  const post = (fields: string) => request(`POST / HTTP/1.1\r\n${H}${fields}\r\n`)
  const rows: [string, string, string?][] = [
    // CL.TE and TE.CL: both framings in one head.
    ['Content-Length: 6\r\nTransfer-Encoding: chunked\r\n', 'CL.TE'],
    ['Transfer-Encoding: chunked\r\nContent-Length: 6\r\n', 'TE.CL'],
    // TE.TE: obfuscated Transfer-Encoding that one parser honours and another ignores.
    ['Transfer-Encoding: chunked, identity\r\n', 'chunked, identity'],
    ['Transfer-Encoding: identity, chunked\r\n', 'identity, chunked'],
    ['Transfer-Encoding: xchunked\r\n', 'xchunked'],
    ['Transfer-Encoding: chunked-false\r\n', 'chunked-false'],
    ['Transfer-Encoding: Chunked\r\n', 'Chunked'],
    ['Transfer-Encoding: "chunked"\r\n', 'quoted'],
    ['Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', 'TE twice'],
    ['Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n', 'TE twice, differing'],
    ['Transfer-Encoding:\tchunked\x0b\r\n', 'vertical tab', 'field'],
    ['Transfer-Encoding\t: chunked\r\n', 'tab before the colon', 'field'],
    ['Transfer-Encoding : chunked\r\n', 'space before the colon', 'field'],
    ['X: y\r\n Transfer-Encoding: chunked\r\n', 'obs-fold', 'field'],
    // Content-Length that parsers read differently.
    ['Content-Length: 5\r\nContent-Length: 5\r\n', 'CL twice'],
    ['Content-Length: 5\r\nContent-Length: 6\r\n', 'CL twice, differing'],
    ['Content-Length: 5, 5\r\n', 'CL list'],
    ['Content-Length: +5\r\n', 'CL with a sign'],
    ['Content-Length: -1\r\n', 'CL negative'],
    ['Content-Length: 5 5\r\n', 'CL with a space inside'],
    ['Content-Length: 0x5\r\n', 'CL in hex'],
    ['Content-Length: 05\r\n', 'CL with a leading zero (octal to some)'],
    ['Content-Length: 5.0\r\n', 'CL with a fraction'],
    ['Content-Length: 99999999999999999999\r\n', 'CL beyond 2^53'],
    ['Content-Length: \r\n', 'CL empty'],
  ]
  for (const [fields, name, reason = 'framing'] of rows) t.equal(post(fields), reason, name)
  t.match(post('Content-Length:   7   \r\n'), { framing: 'length', length: 7 })
})

t.test('headEnd finds the empty line wherever the head is cut, and stays linear', async (t) => {
  const text = `POST /a HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nok`
  const bytes = Buffer.from(text)
  const whole = headEnd(bytes, 0)
  t.equal(whole, text.indexOf('\r\n\r\n') + 4)
  for (let cut = 1; cut < bytes.length; cut++) {
    const first = headEnd(bytes.subarray(0, cut), 0)
    const resumed = first === -1 ? headEnd(bytes, Math.max(0, cut - 1)) : first
    t.equal(resumed, whole, `cut at ${cut}`)
  }
  // A bare CR is seen as soon as the byte after it is, even while the head is incomplete.
  t.equal(headEnd(Buffer.from('GET / HTTP/1.1\rX'), 0), BROKEN)
  t.equal(headEnd(Buffer.from('GET / HTTP/1.1\r'), 0), -1)
})

// Requests to mutate: one of each framing.
const REQUESTS = [
  `GET /a?b=c HTTP/1.1\r\nHost: app\r\nAccept: text/html\r\n\r\n`,
  `POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\nX-Id: 7\r\n\r\nhello`,
  `PUT /x HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
]
// Bytes that break heads in interesting ways.
const NASTY = [' ', '\t', '\r', '\n', '\0', ':', ',', '"', '-', '+', '0', '5', 'a', '\x0b', '\xe9']

type Edit = [at: number, kind: 'insert' | 'delete' | 'replace', byte: string]

function mutated(text: string, edits: readonly Edit[]): string {
  let result = text
  for (const [at, kind, byte] of edits) {
    const i = at % (result.length + 1)
    const after = kind === 'insert' ? i : i + 1
    result = result.slice(0, i) + (kind === 'delete' ? '' : byte) + result.slice(after)
  }
  return result
}

t.test('any head the fast path takes, node:http frames the same way', async (t) => {
  const oracle = await nodeOracle(t)
  const mutation = fc.tuple(
    fc.constantFrom(...REQUESTS),
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...NASTY)),
      { minLength: 1, maxLength: 3 },
    ),
  )
  let taken = 0
  let refused = 0
  await fc.assert(
    fc.asyncProperty(mutation, async ([original, edits]) => {
      const text = mutated(original, edits)
      const bytes = Buffer.from(text, 'latin1')
      const end = headEnd(bytes, 0)
      if (end < 0) return
      const head = parseRequestHead(bytes, end)
      if (typeof head === 'string') {
        refused++
        return
      }
      taken++
      const framed = await oracle(bytes)
      if (!framed)
        throw new Error(`node:http refused what the fast path took: ${JSON.stringify(text)}`)
      t.same(
        { method: head.method, url: head.target, rawHeaders: head.fields },
        { method: framed.method, url: framed.url, rawHeaders: framed.rawHeaders },
        JSON.stringify(text),
      )
      if (head.framing === 'length') {
        const body = text.slice(end, end + head.length)
        if (body.length === head.length) t.equal(framed.body, body, 'the same body')
      }
    }),
    { numRuns: 300, seed: 14 },
  )
  t.ok(taken > 20 && refused > 20, `${taken} taken and ${refused} refused: both were tried`)
})
