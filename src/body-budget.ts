// A bound on the request bytes the webhook holds at once. Bodies arrive concurrently and are
// held as text until answered; decoding and admission run one review at a time, so one body is
// decoded at once, up to 15 times its size for JSON made of small arrays and objects (measured:
// `[[],[],...]` of 3 MB became 40 MB of heap). So each request reserves its declared length (or
// the body limit, when it declares none) before its body is read, and gives it back when it is
// answered or abandoned; a request that does not fit while others hold the budget is answered 503
// at once, as an overloaded server is, and the API server applies the failure policy. A request
// alone always fits, up to the body limit.
import type { FastifyInstance, FastifyRequest } from 'fastify'

export interface BodyBudgetOptions {
  /** Bytes of request bodies held at once, at most. */
  bytes: number
  /** The server's body limit: what a request without a Content-Length may still send. */
  bodyLimit: number
}

/** Why a request was refused: the budget is held by others; counted as `shed`. */
export class BodyBudgetExceeded extends Error {
  readonly statusCode = 503
  readonly code = 'BODY_BUDGET_EXCEEDED'
  constructor(wanted: number, held: number, budget: number) {
    super(
      `request bodies of ${held} bytes are being answered; ${wanted} more would exceed ${budget}`,
    )
  }
}

/** Adds the budget's hooks to `app`, for every route. */
export function limitBodyBytes(app: FastifyInstance, options: BodyBudgetOptions): void {
  let held = 0
  const reservations = new WeakMap<FastifyRequest, number>()
  const release = (request: FastifyRequest) => {
    held -= reservations.get(request) ?? 0
    reservations.delete(request)
  }
  app.addHook('onRequest', (request, _reply, done) => {
    const wanted = bodyLength(request) ?? options.bodyLimit
    if (wanted === 0) return done()
    if (held > 0 && held + wanted > options.bytes)
      return done(new BodyBudgetExceeded(wanted, held, options.bytes))
    held += wanted
    reservations.set(request, wanted)
    done()
  })
  app.addHook('onResponse', (request, _reply, done) => {
    release(request)
    done()
  })
  app.addHook('onRequestAbort', (request, done) => {
    release(request)
    done()
  })
}

// The declared length; none for a request without a body; unknown for a chunked one.
function bodyLength(request: FastifyRequest): number | undefined {
  const { 'content-length': header, 'transfer-encoding': chunked } = request.headers
  if (header === undefined) return chunked === undefined ? 0 : undefined
  const length = Number(header)
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined
}
