// What the meter knows of gRPC over HTTP/2 (github.com/grpc/grpc, doc/PROTOCOL-HTTP2.md): the
// status a call ends with, the method path a call names, and the answer a proxy gives when the
// app cannot be reached.
import type { OutgoingHttpHeaders } from 'node:http2'
import { compileRoutes, OTHER_ROUTE, type RouteMatcher } from './routes.ts'

// doc/statuscodes.md, by number.
const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const

/** The grpc_status label when a response carried none (not a gRPC answer, or a stream reset). */
export const NO_GRPC_STATUS = 'none'

/**
 * The grpc_status label of a grpc-status field: the code's name (`OK`, `UNAVAILABLE`), `none`
 * without the field, `other` for a value that is no code, so that the label stays bounded.
 */
export function grpcStatusLabel(value: string | string[] | undefined): string {
  if (value === undefined) return NO_GRPC_STATUS
  const text = Array.isArray(value) ? value[0] : value
  return (text && /^[0-9]{1,2}$/.test(text) && STATUS_NAMES[Number(text)]) || 'other'
}

// How a method path is written: `/package.Service/Method`. Names are protobuf identifiers;
// anything else a client sends (queries, more segments, escapes) is no method of the app's.
const METHOD_PATH = /^\/[A-Za-z_][A-Za-z0-9_.]{0,150}\/[A-Za-z_][A-Za-z0-9_]{0,100}$/

/** The most method paths that get a label of their own when no templates are given. */
export const MAX_GRPC_ROUTES = 100

/**
 * The route label of a call: the configured templates where given (`/shop.Cart/*`), as for
 * HTTP; else the method path itself, for the first `cap` distinct method paths seen, and
 * `other` for the rest. The paths are the client's choice, and a hostile client can use up the
 * cap with made-up ones (the labels stay bounded; templates pin them).
 */
export function grpcRoutes(templates: readonly string[], cap = MAX_GRPC_ROUTES): RouteMatcher {
  if (templates.length > 0) return compileRoutes(templates)
  const seen = new Set<string>()
  return (path) => {
    if (seen.has(path)) return path
    if (seen.size >= cap || !METHOD_PATH.test(path)) return OTHER_ROUTE
    seen.add(path)
    return path
  }
}

// grpc-status codes the meter answers with itself.
export const GRPC_UNAVAILABLE = '14'
export const GRPC_DEADLINE_EXCEEDED = '4'

/**
 * A trailers-only response (headers that end the stream) with `status` and `message`; the
 * message is percent-encoded as the protocol asks, though the meter's own are plain ASCII.
 */
export function grpcAnswer(status: string, message: string): OutgoingHttpHeaders {
  return {
    ':status': 200,
    'content-type': 'application/grpc',
    'grpc-status': status,
    'grpc-message': message.replace(/[^\x20-\x24\x26-\x7e]/g, (c) => encodeURIComponent(c)),
  }
}
