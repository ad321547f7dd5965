// A raw HTTP client for the fake API server's own tests: status codes, Content-Types and bodies
// exactly as they come off the wire, which is what those tests compare with the real API server.
import type { Test } from 'tap'
import { Agent, request } from 'undici'
import { until } from './eventually.ts'
import { type FakeApiServer, fakeApiServerFor } from './fake-apiserver.ts'

export interface RawAnswer {
  status: number
  contentType: string | undefined
  text: string
}

export interface SendOptions {
  /** JSON-encoded unless it is a string, which is sent as it is. */
  body?: unknown
  /** None when undefined. */
  contentType?: string | undefined
  /** The bearer token; the fake's own by default, none with null. */
  token?: string | null
}

export interface FakeClient {
  send(method: string, path: string, options?: SendOptions): Promise<RawAnswer>
  /** send(), with the body parsed as JSON. */
  json(
    method: string,
    path: string,
    options?: SendOptions,
  ): Promise<{ status: number; json: unknown }>
  /** GETs `path` as a watch and resolves once the fake has subscribed it; `done` resolves with
   *  the stream's status and events once the server ends it (timeoutSeconds, dropWatches). */
  watch(path: string): Promise<{ done: Promise<WatchAnswer> }>
}

export interface WatchAnswer {
  status: number
  contentType: string | undefined
  events: unknown[]
}

/** A client of `fake` whose connections close when `t` ends. */
export function fakeClient(t: Test, fake: FakeApiServer): FakeClient {
  const agent = new Agent({ connect: { ca: fake.ca } })
  t.teardown(() => agent.close())
  const send = async (method: string, path: string, options: SendOptions = {}) => {
    const { body, contentType, token = fake.token } = options
    const headers: Record<string, string> = {}
    if (token !== null) headers.authorization = `Bearer ${token}`
    if (contentType !== undefined) headers['content-type'] = contentType
    const payload =
      body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body)
    const res = await request(`${fake.url}${path}`, {
      method: method as 'GET',
      headers,
      body: payload,
      dispatcher: agent,
    })
    const type = res.headers['content-type']
    return {
      status: res.statusCode,
      contentType: Array.isArray(type) ? type[0] : type,
      text: await res.body.text(),
    }
  }
  return {
    send,
    json: async (method, path, options) => {
      const answer = await send(method, path, options)
      return { status: answer.status, json: JSON.parse(answer.text) }
    },
    watch: async (path) => {
      const before = fake.requests().length
      const done = send('GET', path).then(({ status, contentType, text }) => ({
        status,
        contentType,
        events: text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      }))
      // The fake subscribes a watch in the same turn as it records the request.
      await until(() => fake.requests().length > before, {
        what: `the fake to receive the watch of ${path}`,
      })
      return { done }
    },
  }
}

/** A fake and a client of it, for the length of `t`. */
export async function fakeWithClient(
  t: Test,
): Promise<{ fake: FakeApiServer; client: FakeClient }> {
  const fake = await fakeApiServerFor(t)
  return { fake, client: fakeClient(t, fake) }
}
