// Clients for tests through real sockets on 127.0.0.1: an undici Client closed with the test,
// and a node:http request sent and its answer read to the end.
import { once } from 'node:events'
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Test } from 'tap'
import { Client } from 'undici'

/** A client of `origin`, destroyed at teardown. */
export function clientFor(t: Test, origin: string, options: Client.Options = {}): Client {
  const client = new Client(origin, options)
  t.teardown(() => client.destroy())
  return client
}

/** Ends `request` and reads its answer whole: status, header fields and body as text. */
export async function answerOf(request: ClientRequest) {
  request.end()
  const [response] = (await once(request, 'response')) as [IncomingMessage]
  let body = ''
  for await (const chunk of response) body += chunk
  return { statusCode: response.statusCode, headers: response.headers, body }
}
