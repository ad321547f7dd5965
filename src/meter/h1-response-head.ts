// The app's response heads, read by the fast path (fast-upstream.ts) with the field rules of
// request heads (h1-heads.ts), bytes 0x80-0xFF allowed in values. What the fast path cannot
// frame one way only (Content-Length twice or with Transfer-Encoding, a coding other than
// chunked, a broken status line) fails the request (502) instead of being guessed at.
import { CR, lengthsOf, readFields, VALUE_OBS } from './h1-heads.ts'

/** How a response's body is delimited (RFC 9112 section 6.3). */
export type Framing = 'none' | 'length' | 'chunked' | 'close'

export interface ResponseHead {
  readonly status: number
  readonly reason: string
  /** The field lines as a flat name, value list, Content-Length among them. */
  readonly fields: string[]
  readonly framing: Framing
  /** The Content-Length; -1 when there is none. */
  readonly length: number
  /** The app keeps its connection open after this response. */
  readonly keepAlive: boolean
  /** What the app's Keep-Alive field says about its idle timeout, in ms; -1 when nothing. */
  readonly idleHintMs: number
  readonly hasDate: boolean
}

// The lengths of the names scanResponseField looks for: only those are lower-cased.
const RESPONSE_NAME_LENGTHS = lengthsOf(
  'date',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
)

/**
 * The response head in `bytes[0, size)`, for a request with `method`, or undefined when the
 * fast path cannot frame it the one way it can be framed.
 */
export function parseResponseHead(
  bytes: Buffer,
  size: number,
  method: string,
): ResponseHead | undefined {
  const text = bytes.toString('latin1', 0, size)
  const line = statusLine(text)
  if (!line) return undefined
  const fields = readFields(text, line.end, size)
  if (typeof fields === 'string') return undefined
  const scan: ResponseScan = {
    length: -1,
    chunked: false,
    keepAlive: line.http11,
    idleHintMs: -1,
    hasDate: false,
  }
  for (let f = 0; f < fields.length; f += 2)
    if (!scanResponseField(scan, fields[f] as string, fields[f + 1] as string)) return undefined
  if (scan.chunked && scan.length !== -1) return undefined
  const { status, reason } = line
  const framing = responseFraming(scan, status, method)
  if (framing === 'close') scan.keepAlive = false
  const { length, keepAlive, idleHintMs, hasDate } = scan
  return { status, reason, fields, framing, length, keepAlive, idleHintMs, hasDate }
}

// `HTTP/1.x SP 3DIGIT [SP reason] CRLF`, and where the field lines start.
function statusLine(text: string) {
  if (!text.startsWith('HTTP/1.')) return undefined
  const minor = text.charCodeAt(7)
  const status = digit(text, 9) * 100 + digit(text, 10) * 10 + digit(text, 11)
  if ((minor !== 48 && minor !== 49) || text.charCodeAt(8) !== 32 || !(status >= 100))
    return undefined
  let i = text.charCodeAt(12) === 32 ? 13 : 12
  if (i === 12 && text.charCodeAt(12) !== CR) return undefined
  const reasonStart = i
  while (VALUE_OBS[text.charCodeAt(i)]) i++
  if (text.charCodeAt(i) !== CR) return undefined
  const reason = text.slice(reasonStart, i)
  return { status, reason, http11: minor === 49, end: i + 2 }
}

// The decimal digit at `i`, or NaN.
function digit(text: string, i: number): number {
  const value = text.charCodeAt(i) - 48
  return value >= 0 && value <= 9 ? value : Number.NaN
}

// RFC 9112 section 6.3, for the responses the fast path takes.
function responseFraming(scan: ResponseScan, status: number, method: string): Framing {
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return 'none'
  if (scan.chunked) return 'chunked'
  return scan.length >= 0 ? 'length' : 'close'
}

interface ResponseScan {
  length: number
  chunked: boolean
  keepAlive: boolean
  idleHintMs: number
  hasDate: boolean
}

// The fields of a response that the fast path reads; false when one cannot be framed on.
function scanResponseField(scan: ResponseScan, name: string, value: string): boolean {
  switch (RESPONSE_NAME_LENGTHS[name.length] ? name.toLowerCase() : '') {
    case 'date':
      scan.hasDate = true
      return true
    case 'content-length':
      if (scan.length !== -1 || !/^[0-9]{1,15}$/.test(value)) return false
      scan.length = Number(value)
      return true
    case 'transfer-encoding':
      if (scan.chunked || value.toLowerCase() !== 'chunked') return false
      scan.chunked = true
      return true
    case 'connection':
      if (value !== 'keep-alive' && /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i.test(value))
        scan.keepAlive = false
      return true
    case 'keep-alive':
      scan.idleHintMs = keepAliveHint(value)
  }
  return true
}

// `Keep-Alive: timeout=5, max=1000` (RFC 2068 section 19.7.1.1): the app's idle timeout.
function keepAliveHint(value: string): number {
  const match = /(?:^|[ ,])timeout=([0-9]{1,6})(?:$|[ ,])/i.exec(value)
  return match ? Number(match[1]) * 1000 : -1
}
