// The fast path's chunked decoding: the same data, trailers and end wherever the bytes are cut,
// the tricks of chunk-size smuggling refused, and, against node:http's parser as the oracle, any
// chunked body it decodes decoded to the same bytes.
import fc from 'fast-check'
import t from 'tap'
import { ChunkedDecoder, MALFORMED, NEED_MORE, TOO_LARGE } from '../../src/meter/h1-chunks.ts'
import { nodeOracle } from './node-oracle.ts'

interface Decoded {
  /** Where the body ended in the whole input, or the decoder's error. */
  end: number
  data: string
  trailers: string[]
}

/** Decodes `text` fed in pieces cut at `cuts` (offsets into it). */
function decode(text: string, cuts: readonly number[] = [], maxTrailerBytes = 16 * 1024): Decoded {
  let data = ''
  const decoder = new ChunkedDecoder((piece) => {
    data += piece.toString('latin1')
  }, maxTrailerBytes)
  const bytes = Buffer.from(text, 'latin1')
  const bounds = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...bounds, bytes.length]) {
    if (to <= from && to !== bytes.length) continue
    const end = decoder.feed(bytes.subarray(from, to), 0)
    if (end !== NEED_MORE)
      return { end: end < 0 ? end : from + end, data, trailers: decoder.trailers }
    from = to
  }
  return { end: NEED_MORE, data, trailers: decoder.trailers }
}

t.test('chunks, extensions and trailers decode; what follows the body is left alone', async (t) => {
  const body = '5\r\nhello\r\n1;name=value;flag\r\n,\r\nA\r\n0123456789\r\n0\r\n\r\n'
  t.same(decode(`${body}GET / HTTP/1.1`), {
    end: body.length,
    data: 'hello,0123456789',
    trailers: [],
  })
  const trailed = '0\r\nX-Sum: 1\r\nX-Other:  two \r\n\r\n'
  t.same(decode(`${trailed}next`), {
    end: trailed.length,
    data: '',
    trailers: ['X-Sum', '1', 'X-Other', 'two'],
  })
  t.same(decode('00000003\r\nabc\r\n0000\r\n\r\n').data, 'abc', 'leading zeros')
  t.same(decode('ff\r\n').end, NEED_MORE, 'a chunk still to come')
})

t.test('the tricks of chunked smuggling are refused', async (t) => {
  const rows: [string, string][] = [
    ['fffffffffffff\r\n', 'a size of 13 hex digits (parsers that overflow disagree)'],
    ['1000000000000000000000005\r\nhello\r\n0\r\n\r\n', 'a size that wraps to 5 in 64 bits'],
    ['0x5\r\nhello\r\n0\r\n\r\n', 'a hex prefix'],
    ['+5\r\nhello\r\n0\r\n\r\n', 'a sign'],
    ['-5\r\nhello\r\n0\r\n\r\n', 'a negative size'],
    [' 5\r\nhello\r\n0\r\n\r\n', 'whitespace before the size'],
    ['5 \r\nhello\r\n0\r\n\r\n', 'whitespace after the size'],
    ['5\nhello\n0\n\n', 'LF-only line ends'],
    ['5\rhello\r\n0\r\n\r\n', 'a bare CR'],
    ['5\r\nhello0\r\n\r\n', 'data not followed by CRLF'],
    ['5\r\nhello\n0\r\n\r\n', 'data followed by a bare LF'],
    ['5\r\nhelloXX\r\n0\r\n\r\n', 'more data than the size'],
    ['\r\n5\r\nhello\r\n0\r\n\r\n', 'an empty size'],
    ['5\0\r\nhello\r\n0\r\n\r\n', 'a NUL after the size'],
    ['5;a b\r\nhello\r\n0\r\n\r\n', 'whitespace in an extension'],
    ['5;a="b"\r\nhello\r\n0\r\n\r\n', 'a quoted extension'],
    ['5;a\nb\r\nhello\r\n0\r\n\r\n', 'a LF in an extension'],
    ['0\r\nX : y\r\n\r\n', 'whitespace before a trailer colon'],
    ['0\r\nX: y\n\r\n', 'a bare LF in the trailers'],
    ['0\r\n X: y\r\n\r\n', 'an obs-fold in the trailers'],
    ['0\r\n\n', 'a bare LF ending the trailers'],
  ]
  for (const [text, what] of rows) t.equal(decode(text).end, MALFORMED, what)
  t.equal(decode(`5;${'a'.repeat(17 * 1024)}\r\n`).end, TOO_LARGE, 'extensions beyond 16 KiB')
  t.equal(decode(`0\r\nX: ${'a'.repeat(200)}\r\n\r\n`, [], 100).end, TOO_LARGE, 'too long trailers')
  t.equal(decode(`0\r\nX: ${'a'.repeat(200)}`, [], 100).end, TOO_LARGE, 'even before they end')
})

// A chunked body: chunks of data, each perhaps with extensions, and trailers.
const chunkedBody = fc
  .record({
    chunks: fc.array(
      fc.tuple(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom('', ';a', ';a=b', ';x=1;y'),
        fc.boolean(),
      ),
      { maxLength: 6 },
    ),
    trailers: fc.array(
      fc.tuple(fc.constantFrom('X-A', 'Checksum'), fc.stringMatching(/^[!-~]{0,8}$/)),
      {
        maxLength: 2,
      },
    ),
  })
  .map(({ chunks, trailers }) => {
    const data = chunks.map(([piece]) => piece).join('')
    const framed = chunks
      .map(([piece, extension, upper]) => {
        const size = Buffer.byteLength(piece, 'latin1').toString(16)
        return `${upper ? size.toUpperCase() : size}${extension}\r\n${piece}\r\n`
      })
      .join('')
    const fields = trailers.map(([name, value]) => `${name}: ${value}\r\n`).join('')
    return { data, text: `${framed}0\r\n${fields}\r\n`, trailers: trailers.flat() }
  })

t.test('the same data, trailers and end wherever the bytes are cut', async (t) => {
  const latin1 = chunkedBody.filter(({ text }) => /^[\0-\xff]*$/.test(text))
  fc.assert(
    fc.property(latin1, fc.array(fc.nat(), { maxLength: 8 }), fc.string(), (body, cuts, next) => {
      const decoded = decode(body.text + next.replace(/[^\0-\xff]/g, ''), cuts)
      t.same(decoded.end, body.text.length)
      t.same(decoded.data, body.data)
      t.same(decoded.trailers, body.trailers)
    }),
    { numRuns: 500, seed: 14 },
  )
})

// Bytes that break chunk framing in interesting ways.
const NASTY = [' ', '\t', '\r', '\n', '\0', ';', '=', '"', '-', '+', '0', 'f', 'x', 'g', '\xe9']

t.test('any chunked body the fast path decodes, node:http decodes the same way', async (t) => {
  const oracle = await nodeOracle(t)
  const head = 'POST /upload HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n'
  let decoded = 0
  let refused = 0
  await fc.assert(
    fc.asyncProperty(
      chunkedBody.filter(({ text }) => /^[ -~\r\n]*$/.test(text)),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...NASTY)), { maxLength: 2 }),
      async (body, edits) => {
        let text = body.text
        for (const [at, byte] of edits) {
          const i = at % (text.length + 1)
          text = text.slice(0, i) + byte + text.slice(i)
        }
        const ours = decode(text)
        if (ours.end < 0) {
          refused++
          return
        }
        decoded++
        const framed = await oracle(Buffer.from(head + text, 'latin1'))
        t.equal(framed?.body, ours.data, JSON.stringify(text))
      },
    ),
    { numRuns: 300, seed: 14 },
  )
  t.ok(decoded > 20 && refused > 20, `${decoded} decoded and ${refused} refused: both were tried`)
})
