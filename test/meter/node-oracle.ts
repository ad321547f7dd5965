// node:http's own parser (llhttp, strict) as the oracle of the fast path's framing tests: what
// it makes of some bytes sent on a fresh connection.
import { once } from 'node:events'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import type { Test } from 'tap'

/** A request as node:http framed it. */
export interface Framed {
  method: string
  url: string
  rawHeaders: string[]
  /** Undefined unless the body was complete. */
  body: string | undefined
}

/**
 * A node:http server for the test; the function it resolves to sends bytes on a new connection,
 * ends it, and resolves with the first request node:http framed from them, if any.
 */
export async function nodeOracle(t: Test) {
  let seen: Framed[] = []
  const server = createServer((req, res) => {
    const framed = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders }
    const entry: Framed = { ...framed, body: undefined }
    seen.push(entry)
    let body = ''
    req.setEncoding('latin1')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      entry.body = body
      res.end()
    })
    req.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  return async (bytes: Buffer): Promise<Framed | undefined> => {
    seen = []
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.on('data', () => {})
    socket.end(bytes)
    await once(socket, 'close')
    return seen[0]
  }
}
