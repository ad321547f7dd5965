// Bodies stream through the meter in both directions: never collected first, never buffered
// beyond what the sockets hold when one side reads slower than the other writes.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import t from 'tap'
import { until, within } from '../helpers/eventually.ts'
import { portOf, sampleValue, scrape, startApp, startTestMeter } from './harness.ts'

const MiB = 1024 * 1024
const CHUNK = 64 * 1024

/** The i-th chunk of a deterministic stream of bytes that does not repeat chunk to chunk. */
function chunk(i: number): Buffer {
  const buffer = Buffer.alloc(CHUNK, i % 251)
  buffer.writeUInt32BE(i, 0)
  return buffer
}

/** Writes `count` chunks, honouring backpressure; resolves with the sha256 of what was written. */
async function writeChunks(stream: Writable, count: number): Promise<string> {
  const hash = createHash('sha256')
  for (let i = 0; i < count; i++) {
    const data = chunk(i)
    hash.update(data)
    if (!stream.write(data)) await once(stream, 'drain')
  }
  return hash.digest('hex')
}

async function digest(stream: AsyncIterable<Buffer>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const data of stream) {
    hash.update(data)
    bytes += data.length
  }
  return { sha256: hash.digest('hex'), bytes }
}

// A stall is the absence of 'drain', which can only be watched for a while. Cutting it short
// (a loaded machine) only stops the writer early: the tests check what was written, not how much.
const QUIET_MS = 500

/**
 * Writes chunks until the stream has refused more for a while (backpressure reached every
 * buffer on the way); resolves with the bytes written by then.
 */
async function writeUntilStalled(stream: Writable, limit: number): Promise<number> {
  let written = 0
  while (written < limit) {
    written += CHUNK
    if (stream.write(chunk(written / CHUNK))) continue
    const drained = once(stream, 'drain').then(() => true)
    const quiet = new Promise((resolve) => setTimeout(resolve, QUIET_MS, false))
    if (!(await Promise.race([drained, quiet]))) return written
  }
  return written
}

function post(origin: string): {
  request: ReturnType<typeof httpRequest>
  response: Promise<IncomingMessage>
} {
  const request = httpRequest(`${origin}/upload`, { method: 'POST' }) // chunked: no length
  const response = once(request, 'response').then(([r]) => r as IncomingMessage)
  return { request, response }
}

t.test('128 MiB up and 128 MiB down arrive intact, counted in bytes', async (t) => {
  const count = (128 * MiB) / CHUNK
  const app = await startApp(t, async (req, res) => {
    const received = await digest(req)
    res.writeHead(200, {
      'x-sha256': received.sha256,
      'x-bytes': String(received.bytes),
      trailer: 'x-sent-sha256',
    })
    // The app's own digest travels as a trailer, after the body, through the meter.
    res.addTrailers({ 'x-sent-sha256': await writeChunks(res, count) })
    res.end()
  })
  const meter = await startTestMeter(t, portOf(app))
  const { request, response } = post(meter.origin)
  const sent = await writeChunks(request, count)
  request.end()
  const answer = await response
  t.equal(answer.headers['x-bytes'], String(128 * MiB))
  t.equal(answer.headers['x-sha256'], sent, 'the app got exactly what the client sent')
  const got = await digest(answer)
  t.equal(got.bytes, 128 * MiB)
  t.equal(answer.trailers['x-sent-sha256'], got.sha256, 'the client got exactly what the app sent')
  const samples = await scrape(meter)
  t.equal(sampleValue(samples, 'meter_http_request_bytes_total'), 128 * MiB)
  t.equal(sampleValue(samples, 'meter_http_response_bytes_total'), 128 * MiB)
})

t.test('the app sees the first bytes of an upload before the client sends the rest', async (t) => {
  let appReceived = ''
  const app = await startApp(t, async (req, res) => {
    for await (const data of req) appReceived += data
    res.end(appReceived)
  })
  const meter = await startTestMeter(t, portOf(app))
  const { request, response } = post(meter.origin)
  request.write('first,')
  // A meter that collected the body before forwarding it would never get past this line.
  await until(() => appReceived === 'first,', {
    what: () => `the app to receive "first," before the rest is sent (it has "${appReceived}")`,
  })
  request.end('rest')
  t.equal((await digest(await response)).bytes, 'first,rest'.length)
})

t.test(
  'an app that reads slowly holds the client back: the meter does not buffer the body',
  async (t) => {
    // The app reads nothing until the test says so.
    const server = await startApp(t, () => undefined)
    const arrived = once(server, 'request') as Promise<[IncomingMessage, ServerResponse]>
    const meter = await startTestMeter(t, portOf(server))
    const { request, response } = post(meter.origin)
    const written = await writeUntilStalled(request, 512 * MiB)
    // What the client could write is what the sockets and stream buffers on the way hold.
    t.ok(written < 64 * MiB, `the client stalled after ${(written / MiB).toFixed(1)} MiB`)
    const [req, res] = await within(arrived, { what: 'the upload to reach the app' })
    const reading = digest(req)
    request.end()
    t.equal((await reading).bytes, written, 'the app then got all of it')
    res.end()
    await response
  },
)

t.test(
  'a client that reads slowly holds the app back: the meter does not buffer the response',
  async (t) => {
    const appWrote = Promise.withResolvers<number>()
    const app = await startApp(t, (_req, res) => {
      writeUntilStalled(res, 512 * MiB).then((written) => {
        // The rest of the body, once the client reads again, is what was written so far.
        res.end()
        appWrote.resolve(written)
      }, appWrote.reject)
    })
    const meter = await startTestMeter(t, portOf(app))
    const request = httpRequest(`${meter.origin}/download`)
    request.end()
    const [response] = (await once(request, 'response')) as [IncomingMessage]
    response.pause() // read nothing until the app has stalled
    const written = await within(appWrote.promise, {
      what: 'the app to stall while the client reads nothing',
      timeoutMs: 60_000,
    })
    t.ok(written < 64 * MiB, `the app stalled after ${(written / MiB).toFixed(1)} MiB`)
    const got = await digest(response)
    t.equal(got.bytes, written, 'and the client then got all of it')
  },
)

t.test(
  'the app breaks off while the upload goes on: 502, and the client is not left hanging',
  async (t) => {
    const appGotSome = Promise.withResolvers<void>()
    const app = await startApp(t, (req) => {
      req.once('data', () => {
        req.socket.destroy()
        appGotSome.resolve()
      })
    })
    const meter = await startTestMeter(t, portOf(app))
    const { request, response } = post(meter.origin)
    request.write(chunk(0))
    await within(appGotSome.promise, { what: 'the first bytes of the upload to reach the app' })
    const answer = await response // while the client has not finished its body
    t.equal(answer.statusCode, 502)
    t.equal(answer.headers.connection, 'close', 'the rest of the upload is not waited for')
    let text = ''
    for await (const data of answer) text += data
    t.match(text, /^502 Bad Gateway: the app closed the connection/)
    request.end(chunk(1)) // the rest is read and dropped by the meter, not left in the socket
    const samples = await scrape(meter)
    t.equal(sampleValue(samples, 'meter_upstream_errors_total', { kind: 'reset' }), 1)
    t.equal(sampleValue(samples, 'meter_http_requests_total', { status_class: '5xx' }), 1)
  },
)

/** The i-th piece of a response written in pieces of many sizes, a few above 16 KiB. */
function piece(i: number): Buffer {
  const buffer = Buffer.alloc(4 + ((i * 7919) % (24 * 1024)), i % 253)
  buffer.writeUInt32BE(i, 0)
  return buffer
}

// The meter reads from the app into one buffer that every read reuses: a write to the client
// that did not complete at once and still pointed into it would send the bytes of a later read.
for (const framing of ['content-length', 'chunked'] as const)
  t.test(
    `a client that reads in small bites gets every byte the app wrote (${framing})`,
    async (t) => {
      const pieces = Array.from({ length: 1500 }, (_, i) => piece(i))
      const whole = Buffer.concat(pieces)
      const appBlocked = Promise.withResolvers<void>()
      const app = await startApp(t, async (_req, res) => {
        if (framing === 'content-length') res.setHeader('content-length', whole.length)
        for (const data of pieces) {
          // A turn between pieces: the meter reads them one by one, most below 16 KiB.
          await new Promise(setImmediate)
          if (res.write(data)) continue
          appBlocked.resolve()
          await once(res, 'drain')
        }
        appBlocked.resolve()
        res.end()
      })
      const meter = await startTestMeter(t, portOf(app))
      const request = httpRequest(`${meter.origin}/download`)
      request.end()
      const [response] = (await once(request, 'response')) as [IncomingMessage]
      t.equal(response.headers['transfer-encoding'], framing === 'chunked' ? 'chunked' : undefined)
      // Nothing read until every buffer on the way is full, then one read per turn of the event
      // loop: the meter's writes to the client keep meeting a full socket.
      response.pause()
      await within(appBlocked.promise, { what: 'the app to be held back by the client' })
      const received: Buffer[] = []
      response.on('data', (data: Buffer) => {
        received.push(data)
        response.pause()
        setImmediate(() => response.resume())
      })
      response.resume()
      await once(response, 'end')
      const got = Buffer.concat(received)
      t.equal(got.length, whole.length)
      t.equal(sha256(got), sha256(whole), 'the bytes are the app’s, in its order')
    },
  )

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
