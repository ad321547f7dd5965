// Where one request ends and the next begins is decided once, by the meter, for the app behind
// it: if the two ever disagreed, a client could hide a request from the meter's counts or slip
// one past whatever the meter applies to requests (request smuggling). The oracle is Node's own
// HTTP/1.1 server (llhttp) with the meter's options, fed the same bytes on one connection:
// - valid traffic, generated (any method, field names in any case, bodies framed by length or
//   chunks with extensions and trailers, pipelined, cut into TCP writes anywhere): the app behind
//   the meter completes exactly the requests the oracle does, in order, with the same bodies,
//   and the client gets the same statuses;
// - hostile traffic, the request-smuggling literature's catalogue, each case between two valid
//   requests: every request the app completes is one the oracle completed, in the same order.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { CLIENT_LIMITS, serverOptions } from '../../src/meter/limits.ts'
import { rawConnection, watchClose } from '../helpers/raw-sockets.ts'
import { startApp, startTestMeter } from './harness.ts'

/** What a server completed: a request whose body arrived whole. */
interface Seen {
  method: string
  url: string
  body: string
}

/** A server that records the requests it completes and answers each `200 ok`. */
function recorder(seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const { method = '', url = '' } = req
      seen.push({ method, url, body: Buffer.concat(chunks).toString('latin1') })
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
      res.end('ok')
    })
  }
}

/** Both sides of the comparison: node:http with the meter's options, and app-behind-meter. */
interface Sides {
  referencePort: number
  referenceSeen: Seen[]
  meterPort: number
  appSeen: Seen[]
}

async function sides(t: Test): Promise<Sides> {
  const referenceSeen: Seen[] = []
  // optimizeEmptyRequests only spares bodiless requests their stream events, which the recorder
  // waits for; the parser's rules are the same.
  const options = { ...serverOptions(CLIENT_LIMITS), optimizeEmptyRequests: false }
  const reference: Server = createServer(options, recorder(referenceSeen))
  reference.listen(0, '127.0.0.1')
  await once(reference, 'listening')
  t.teardown(() => {
    reference.closeAllConnections()
    reference.close()
  })
  const appSeen: Seen[] = []
  const app = await startApp(t, recorder(appSeen))
  const meter = await startTestMeter(t, (app.address() as AddressInfo).port)
  return {
    referencePort: (reference.address() as AddressInfo).port,
    referenceSeen,
    meterPort: meter.proxyAddress.port,
    appSeen,
  }
}

// The last request of every connection: both servers close the connection once it is answered,
// which tells the client that all is said. (A client that half-closes instead has its requests
// aborted by node:http, as nginx aborts them, so that cannot end an exchange.)
const LAST = 'GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'

/**
 * Sends `writes` on one connection, one write at a time, and returns what the server sent back
 * until it closed the connection (after LAST, which the writes end with, or on a refusal).
 */
async function exchange(t: Test, port: number, writes: readonly Buffer[]): Promise<string> {
  const socket = await rawConnection(t, port)
  socket.setNoDelay(true)
  const answers = watchClose(socket, `port ${port} to close the connection after LAST`)
  for (const bytes of writes) {
    if (socket.destroyed) break
    await new Promise<void>((resolve) => socket.write(bytes, () => resolve()))
  }
  return answers.closed()
}

// Every answer is a status line; bodies are `ok` or empty, so they never look like one.
const statusesOf = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])

/** The bytes of one connection, cut into writes at `cuts` (fractions of its length). */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))]
    .filter((i) => i > 0 && i < bytes.length)
    .sort((a, b) => a - b)
  return [0, ...at].map((start, i) => bytes.subarray(start, at[i] ?? bytes.length))
}

/**
 * Sends the same writes to both sides: every request the app completes must be one node:http
 * completes from the same bytes, in the same order. The meter may refuse more than node:http
 * does (it answers two Host fields with RFC 9112's 400, where node:http lets them through), and
 * when either refuses a request and closes the connection, requests before it may not all have
 * reached the app yet; but no request may reach the app that node:http did not frame.
 */
async function sameFraming(t: Test, s: Sides, writes: readonly Buffer[], what: string) {
  s.referenceSeen.length = 0
  s.appSeen.length = 0
  await exchange(t, s.referencePort, writes)
  await exchange(t, s.meterPort, writes)
  t.ok(
    isSubsequence(s.appSeen, s.referenceSeen),
    `${what}: the app completes what node:http does`,
    {
      app: s.appSeen,
      reference: s.referenceSeen,
    },
  )
}

function isSubsequence(part: readonly Seen[], whole: readonly Seen[]): boolean {
  let next = 0
  for (const seen of part) {
    while (next < whole.length && !sameRequest(whole[next], seen)) next++
    if (next++ === whole.length) return false
  }
  return true
}

const sameRequest = (a: Seen | undefined, b: Seen) =>
  a?.method === b.method && a.url === b.url && a.body === b.body

// --- valid traffic ---------------------------------------------------------------------------

const TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"
const token = fc
  .array(fc.constantFrom(...TOKEN), { minLength: 1, maxLength: 12 })
  .map((chars) => chars.join(''))
// Field names the meter treats specially, or that change the framing, are written by the
// generator itself, never drawn.
const SPECIAL = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'trailer',
])
const fieldName = token
  .filter((name) => !SPECIAL.has(name))
  .chain((name) =>
    fc
      .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
      .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
  )
const fieldValue = fc.stringMatching(/^[!-~]([ \t!-~]{0,30}[!-~])?$/)
const path = fc
  .tuple(
    fc.stringMatching(/^[a-zA-Z0-9/._~%-]{0,24}$/),
    fc.option(fc.stringMatching(/^[\w=&]{1,16}$/)),
  )
  .map(([p, q]) => `/${p}${q === null ? '' : `?${q}`}`)
// Any octet: bodies are opaque to both parsers.
const bodyText = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  maxLength: 200,
})

type Framing =
  | { kind: 'none' }
  | { kind: 'length'; body: string }
  | { kind: 'chunked'; chunks: string[]; extensions: boolean; trailer: boolean }

const framing: fc.Arbitrary<Framing> = fc.oneof(
  fc.constant({ kind: 'none' } as const),
  bodyText.map((body) => ({ kind: 'length', body }) as const),
  fc
    .record({
      chunks: fc.array(
        bodyText.filter((c) => c.length > 0),
        { maxLength: 4 },
      ),
      extensions: fc.boolean(),
      trailer: fc.boolean(),
    })
    .map((r) => ({ kind: 'chunked', ...r }) as const),
)

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path,
  fields: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 }),
  framing,
  keepAlive: fc.boolean(),
  // Valid requests a strict reader may still leave to a general one (the meter's fast path hands
  // these to node:http mid-connection): HTTP/1.0 kept alive, Expect: 100-continue, obs-text.
  unusual: fc.option(fc.constantFrom('http/1.0', 'expect', 'obs-text'), { freq: 4 }),
})

type Request = typeof request extends fc.Arbitrary<infer R> ? R : never

function render(r: Request): string {
  const version = r.unusual === 'http/1.0' ? 'HTTP/1.0' : 'HTTP/1.1'
  const lines = [`${r.method} ${r.path} ${version}`, 'Host: app.example']
  for (const [name, value] of r.fields) lines.push(`${name}: ${value}`)
  if (r.keepAlive || r.unusual === 'http/1.0') lines.push('Connection: keep-alive')
  if (r.unusual === 'expect') lines.push('Expect: 100-continue')
  if (r.unusual === 'obs-text') lines.push('X-Name: caf\xe9')
  // HTTP/1.0 has no chunked framing: its body goes by length.
  const f: Framing =
    r.unusual === 'http/1.0' && r.framing.kind === 'chunked'
      ? { kind: 'length', body: r.framing.chunks.join('') }
      : r.framing
  if (f.kind === 'length')
    return `${lines.join('\r\n')}\r\nContent-Length: ${f.body.length}\r\n\r\n${f.body}`
  if (f.kind === 'none') return `${lines.join('\r\n')}\r\n\r\n`
  lines.push('Transfer-Encoding: chunked')
  const ext = f.extensions ? ';name=value' : ''
  const chunks = f.chunks.map((c) => `${c.length.toString(16)}${ext}\r\n${c}\r\n`).join('')
  const trailer = f.trailer ? 'X-Checksum: 1\r\n' : ''
  return `${lines.join('\r\n')}\r\n\r\n${chunks}0\r\n${trailer}\r\n`
}

t.test(
  'valid requests, pipelined and cut anywhere, reach the app as node:http frames them',
  async (t) => {
    const s = await sides(t)
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 5 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        async (requests, cuts) => {
          const bytes = Buffer.from(requests.map(render).join('') + LAST, 'latin1')
          s.referenceSeen.length = 0
          s.appSeen.length = 0
          const writes = cut(bytes, cuts)
          const reference = await exchange(t, s.referencePort, writes)
          const metered = await exchange(t, s.meterPort, writes)
          if (s.referenceSeen.length !== requests.length + 1)
            throw new Error(`the oracle refused a generated request: ${reference}`)
          assert.deepStrictEqual(s.appSeen, s.referenceSeen, 'the app completes the same requests')
          assert.deepStrictEqual(statusesOf(metered), statusesOf(reference), 'the same statuses')
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
    )
    t.pass('every generated connection was framed alike')
  },
)

// --- hostile traffic -------------------------------------------------------------------------

const before = 'GET /before HTTP/1.1\r\nHost: a\r\n\r\n'
const after = 'GET /after HTTP/1.1\r\nHost: a\r\n\r\n'
const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'

// Each is a request whose framing two parsers may read differently, with a request hidden where
// one of the readings would find it.
const HOSTILE: Record<string, string> = {
  'CL.TE': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
  'TE.CL': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`,
  'TE chunked, identity': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  'TE identity, chunked': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`,
  'TE twice': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`,
  'TE with a space before the colon': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  'TE with a tab before the value': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n${smuggled}`,
  'TE xchunked': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${smuggled}`,
  'TE Chunked in capitals': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n${smuggled}`,
  'TE folded onto a second line': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
  'TE on HTTP/1.0': `POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  'two Content-Lengths that differ': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 36\r\n\r\n${smuggled}`,
  'two Content-Lengths that agree': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab`,
  'Content-Length as a list': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nab`,
  'Content-Length with a plus': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\nab`,
  'Content-Length negative': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n`,
  'Content-Length with leading zeros': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0002\r\n\r\nab`,
  'Content-Length in hex': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x2\r\n\r\nab`,
  'Content-Length with trailing garbage': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2x\r\n\r\nab`,
  'Content-Length too large to count': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\nab`,
  'Content-Length with a space before the colon': `POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 36\r\n\r\n${smuggled}`,
  'chunk size with a sign': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nab\r\n0\r\n\r\n`,
  'chunk size in 0x form': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n`,
  'chunk size that overflows': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff2\r\nab\r\n0\r\n\r\n`,
  'chunk size with a space': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nab\r\n0\r\n\r\n`,
  'chunk shorter than its size': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab\r\n0\r\n\r\n${smuggled}`,
  'chunk longer than its size': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n`,
  'chunk extension with a bare LF': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;a\nb\r\nab\r\n0\r\n\r\n`,
  'last chunk without its CRLF': `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${smuggled}`,
  'head lines ending in bare LF': `POST / HTTP/1.1\nHost: a\nContent-Length: 2\n\nab`,
  'a bare CR in a field': `GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rTransfer-Encoding: chunked\r\n\r\n`,
  'a NUL in a field value': `GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n`,
  'a field name with a space': `GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n`,
  'a field line starting with a space': `GET / HTTP/1.1\r\n Host: a\r\n\r\n`,
  'an absolute-form target': `GET http://other.example/x HTTP/1.1\r\nHost: a\r\n\r\n`,
  'a target with a space': `GET /a b HTTP/1.1\r\nHost: a\r\n\r\n`,
  'a lower-case version': `GET / http/1.1\r\nHost: a\r\n\r\n`,
  'HTTP/1.0 with a body': `POST / HTTP/1.0\r\nHost: a\r\nContent-Length: 2\r\n\r\nab`,
  'HTTP/0.9': `GET /\r\n\r\n`,
  'a method that is no token': `G(ET / HTTP/1.1\r\nHost: a\r\n\r\n`,
  'a GET with a body': `GET / HTTP/1.1\r\nHost: a\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
  'Connection: close then more': `GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n${smuggled}`,
  'no Host': `GET / HTTP/1.1\r\n\r\n`,
  'two Hosts': `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`,
  'empty lines before the request': `\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n`,
}

t.test('hostile framing reaches the app as node:http frames it, or not at all', async (t) => {
  const s = await sides(t)
  for (const [name, hostile] of Object.entries(HOSTILE)) {
    const bytes = Buffer.from(before + hostile + after + LAST, 'latin1')
    await sameFraming(t, s, [bytes], name)
    // The same bytes a byte at a time around the hostile part: a parser that frames by what
    // one read holds is caught here.
    const start = before.length
    const end = start + hostile.length
    const pieces = [bytes.subarray(0, start)]
    for (let i = start; i < end; i++) pieces.push(bytes.subarray(i, i + 1))
    pieces.push(bytes.subarray(end))
    await sameFraming(t, s, pieces, `${name}, a byte a time`)
  }
})
