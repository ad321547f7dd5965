// Why a call through client-node's generated clients failed, in one line for people: the API
// server's own message, or the network error beneath the client's.
import { STATUS_CODES } from 'node:http'
import { ApiException } from '@kubernetes/client-node'

/** The API server's own message (a Status's `message`), or the network error. */
export function describeApiError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === 'string' ? parseStatus(error.body) : error.body
    const message = (body as { message?: unknown } | undefined)?.message
    // The generated client drops the body of the answers its spec lists (a 401 on /version).
    return `HTTP ${error.code}: ${typeof message === 'string' ? message : STATUS_CODES[error.code]}`
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  const detail = cause?.code ?? cause?.message
  return `${(error as Error).message}${detail ? ` (${String(detail)})` : ''}`
}

function parseStatus(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
