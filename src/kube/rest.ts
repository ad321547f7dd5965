// The Kubernetes REST API as plain JSON, for the commands that read workloads and Pods as they
// are (explain, status): client-node's generated clients turn objects into model classes, which
// drop fields they do not know and turn timestamps into Dates, and a Pod must reach decide() and
// CEL exactly as the API server would hand it to the webhook. Credentials and TLS come from the
// kubeconfig through client-node, so every way it authenticates (tokens, client certificates,
// exec plugins) works here too.
import { type RequestOptions, request } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'

// Reading one object or one page of a list takes milliseconds; this only bounds a hung call.
const REQUEST_TIMEOUT_MS = 30_000
// A page holds at most PAGE_SIZE objects of at most 1.5 MiB each (etcd's request limit), but
// real Pods are a few KiB: 64 MiB stops a runaway answer, not a real one.
const MAX_BODY_BYTES = 64 * 1024 * 1024
/** Objects per page of a list: kubectl's default chunk size (--chunk-size=500). */
export const PAGE_SIZE = 500

/** An answer other than 2xx: the status code and the API's Status message. */
export class ApiError extends Error {
  readonly code: number
  constructor(code: number, message: string) {
    super(message)
    this.code = code
  }
}

export interface RestClient {
  /** The object at `path`, or undefined when the API answers 404. */
  get(path: string, query?: Readonly<Record<string, string>>): Promise<unknown>
  /** Every item of the list at `path`, fetched PAGE_SIZE at a time (limit and continue). */
  list(path: string, query?: Readonly<Record<string, string>>): Promise<unknown[]>
  /** Sends `body` as a patch of `contentType`; resolves with the patched object. */
  patch(path: string, body: unknown, contentType: string): Promise<unknown>
}

/** A client of the API server `kubeConfig` names; every call ends when `signal` aborts. */
export function restClient(kubeConfig: KubeConfig, signal: AbortSignal): RestClient {
  const server = kubeConfig.getCurrentCluster()?.server
  if (!server) throw new Error('the kubeconfig names no cluster server')
  const call = (method: string, path: string, body?: { text: string; type: string }) =>
    send(kubeConfig, new URL(path, server), { method, body, signal })
  return {
    get: async (path, query = {}) => {
      const answer = await call('GET', withQuery(path, query))
      if (answer.code === 404) return undefined
      return parsed(answer, 'GET', path)
    },
    list: async (path, query = {}) => {
      const items: unknown[] = []
      let next: string | undefined = ''
      do {
        const page = { ...query, limit: String(PAGE_SIZE), ...(next && { continue: next }) }
        const list = (await parsed(await call('GET', withQuery(path, page)), 'GET', path)) as {
          items?: unknown[]
          metadata?: { continue?: string }
        }
        items.push(...(list.items ?? []))
        next = list.metadata?.continue
      } while (next)
      return items
    },
    patch: async (path, body, type) =>
      parsed(await call('PATCH', path, { text: JSON.stringify(body), type }), 'PATCH', path),
  }
}

function withQuery(path: string, query: Readonly<Record<string, string>>): string {
  const search = new URLSearchParams(query).toString()
  return search ? `${path}?${search}` : path
}

interface Answer {
  code: number
  text: string
}

function parsed(answer: Answer, method: string, path: string): unknown {
  if (answer.code >= 200 && answer.code < 300) return JSON.parse(answer.text)
  let message = answer.text.slice(0, 500)
  try {
    message = (JSON.parse(answer.text) as { message?: string }).message ?? message
  } catch {
    // Not a Status: the text itself says what went wrong.
  }
  throw new ApiError(answer.code, `${method} ${path}: ${answer.code} ${message}`)
}

interface Call {
  method: string
  body: { text: string; type: string } | undefined
  signal: AbortSignal
}

async function send(kubeConfig: KubeConfig, url: URL, call: Call): Promise<Answer> {
  const options: RequestOptions = {
    method: call.method,
    headers: {
      accept: 'application/json',
      ...(call.body && { 'content-type': call.body.type }),
    },
    signal: AbortSignal.any([call.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  }
  await kubeConfig.applyToHTTPSOptions(options)
  return new Promise((resolve, reject) => {
    const outgoing = request(url, options, (response) => {
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_BODY_BYTES) {
          response.destroy(new Error(`${url.pathname}: answer larger than ${MAX_BODY_BYTES} bytes`))
        } else chunks.push(chunk)
      })
      response.on('error', reject)
      response.on('end', () =>
        resolve({ code: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      )
    })
    outgoing.on('error', reject)
    outgoing.end(call.body?.text)
  })
}
