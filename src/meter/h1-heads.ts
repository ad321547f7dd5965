// HTTP/1.1 message heads for the meter's fast path (fast-path.ts), read strictly: a request head
// is either one the fast path frames exactly as every conforming parser would, or it is refused,
// and the connection goes to node:http, whose parser (llhttp, strict) answers it as it always did.
//
// Why so narrow: request smuggling lives in the space between two parsers that frame the same
// bytes differently (RFC 9112 section 11.2). The fast path forwards what it frames to the app,
// whose parser is unknown, so it takes only heads on which no two parsers can disagree: CRLF line
// ends only (no bare CR or LF, no NUL), a request line of token, origin-form target made of
// RFC 3986 characters, and exactly HTTP/1.1; field names that are tokens, the colon right after
// them (no whitespace, no obs-fold), values of visible ASCII, spaces and tabs; one Host; at most
// one Content-Length, of digits without a sign or leading zero; Transfer-Encoding exactly
// `chunked`, and never with Content-Length; no Upgrade, Expect, or Connection option other than
// close and keep-alive (an option names a field to drop, and a dropped framing field would change
// the boundary the app sees). Everything else is rare in real traffic and costs nothing to hand
// over. The methods are those node:http knows: it answers any other 400, and so it still does.
// Response heads are read in h1-response-head.ts, with the same field rules.
import { METHODS as HTTP_METHODS } from 'node:http'

/** Why a request head is left to node:http. */
export type HandoverReason =
  | 'line-ending'
  | 'request-line'
  | 'field'
  | 'framing'
  | 'host'
  | 'upgrade'
  | 'expect'
  | 'connection'
  | 'too-large'

export interface RequestHead {
  readonly method: string
  readonly target: string
  /** The field lines as a flat name, value list, names in their case, values without OWS. */
  readonly fields: string[]
  readonly framing: 'none' | 'length' | 'chunked'
  /** The Content-Length; 0 unless `framing` is `length`. */
  readonly length: number
  /** The client asked to close the connection after this request (Connection: close). */
  readonly close: boolean
}

/** The most field lines a head may have on the fast path (node:http keeps 2,000 and drops the rest). */
export const MAX_FIELDS = 256

export const CR = 13
const LF = 10
/** What headEnd() says of a head with a bare CR or LF, or a NUL. */
export const BROKEN = -2

/**
 * Where the head at the start of `bytes` ends (the offset after its empty line), looking from
 * `from` on: -1 while it is incomplete, BROKEN as soon as a bare CR, a bare LF or a NUL shows.
 * Resuming at the previous length minus one keeps the scan linear when a head comes in pieces.
 */
export function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    const c = bytes[i]
    if (c !== LF && c !== CR && c !== 0) continue
    const verdict = lineBreak(bytes, i)
    if (verdict !== -1) return verdict
  }
  return -1
}

// The head's end after the byte at `i` (a CR, LF or NUL), BROKEN, or -1 to read on.
function lineBreak(bytes: Uint8Array, i: number): number {
  const c = bytes[i]
  if (c === 0) return BROKEN
  if (c === CR) return i + 1 < bytes.length && bytes[i + 1] !== LF ? BROKEN : -1
  if (i === 0 || bytes[i - 1] !== CR) return BROKEN
  return i >= 3 && bytes[i - 2] === LF ? i + 1 : -1
}

/** A byte lookup table: 1 for each of `chars` and for the bytes from `from` to `to`. */
export const table = (chars: string, from = 0, to = -1) => {
  const result = new Uint8Array(256)
  for (let i = 0; i < chars.length; i++) result[chars.charCodeAt(i)] = 1
  for (let c = from; c <= to; c++) result[c] = 1
  return result
}
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** tchar (RFC 9110 section 5.6.2). */
export const TOKEN_CHARS = `!#$%&'*+-.^_\`|~${ALNUM}`
const TOKEN = table(TOKEN_CHARS)
// What an origin-form target may hold after its first slash: pchar, `/` and `?` (RFC 3986).
const TARGET = table(`-._~!$&'()*+,;=:@/?%${ALNUM}`)
// A field value's bytes: visible ASCII, space and tab; with obs-text, bytes 0x80-0xFF too.
const VALUE = table(' \t', 0x21, 0x7e)
export const VALUE_OBS = table(' \t', 0x21, 0x7e)
VALUE_OBS.fill(1, 0x80)

/** The request head in `bytes[0, size)` (size from headEnd), or why node:http should have it. */
export function parseRequestHead(bytes: Buffer, size: number): RequestHead | HandoverReason {
  // One string for the whole head, read with charCodeAt and cut with slice: a native call per
  // field instead would cost more than the rest of the parse.
  const text = bytes.toString('latin1', 0, size)
  const line = requestLine(text)
  if (!line) return 'request-line'
  const fields = readFields(text, line.end, size, VALUE)
  if (typeof fields === 'string') return fields
  const scan: RequestScan = { hosts: 0, length: -1, chunked: false, close: false }
  for (let f = 0; f < fields.length; f += 2) {
    const refused = scanRequestField(scan, fields[f] as string, fields[f + 1] as string)
    if (refused) return refused
  }
  if (scan.chunked && scan.length !== -1) return 'framing'
  if (scan.hosts !== 1) return 'host'
  const framing = scan.chunked ? 'chunked' : scan.length > 0 ? 'length' : 'none'
  const { method, target } = line
  return { method, target, fields, framing, length: Math.max(scan.length, 0), close: scan.close }
}

// The methods node:http's parser knows (it answers any other token 400), but CONNECT.
const METHODS = new Set(HTTP_METHODS.filter((method) => method !== 'CONNECT'))

// `method SP origin-form SP HTTP/1.1 CRLF`, and where the field lines start.
function requestLine(text: string) {
  let i = 0
  while (TOKEN[text.charCodeAt(i)]) i++
  if (i === 0 || text.charCodeAt(i) !== 32) return undefined
  const method = text.slice(0, i)
  if (!METHODS.has(method)) return undefined
  const targetStart = ++i
  if (text.charCodeAt(i) !== 47 /* / */) return undefined
  while (TARGET[text.charCodeAt(i)]) i++
  if (text.charCodeAt(i) !== 32) return undefined
  const target = text.slice(targetStart, i)
  if (!text.startsWith('HTTP/1.1\r\n', i + 1)) return undefined
  return { method, target, end: i + 11 }
}

// The lengths of the names scanRequestField looks for: only those names are lower-cased to be
// compared.
const REQUEST_NAME_LENGTHS = lengthsOf(
  'host',
  'content-length',
  'transfer-encoding',
  'upgrade',
  'expect',
  'connection',
)

/** Which name lengths `names` have, to look a name's length up in. */
export function lengthsOf(...names: string[]): Uint8Array {
  const lengths = new Uint8Array(32)
  for (const name of names) lengths[name.length] = 1
  return lengths
}

interface RequestScan {
  hosts: number
  length: number
  chunked: boolean
  close: boolean
}

// The fields that decide how a request is framed or whether it is for the fast path at all.
function scanRequestField(scan: RequestScan, name: string, value: string) {
  switch (REQUEST_NAME_LENGTHS[name.length] ? name.toLowerCase() : '') {
    case 'host':
      scan.hosts++
      return undefined
    case 'content-length':
      if (scan.length !== -1 || !/^(?:0|[1-9][0-9]{0,14})$/.test(value)) return 'framing'
      scan.length = Number(value)
      return undefined
    case 'transfer-encoding':
      if (scan.chunked || value !== 'chunked') return 'framing'
      scan.chunked = true
      return undefined
    case 'upgrade':
      return 'upgrade'
    case 'expect':
      return 'expect'
    case 'connection':
      return connectionOptions(scan, value)
  }
  return undefined
}

// Only close and keep-alive: any other option names a field to drop before the app sees it.
function connectionOptions(scan: RequestScan, value: string): HandoverReason | undefined {
  if (value === 'keep-alive') return undefined
  for (const option of value.split(',')) {
    const token = option.trim().toLowerCase()
    if (token === 'close') scan.close = true
    else if (token !== 'keep-alive') return 'connection'
  }
  return undefined
}

/**
 * The field lines of `text` (a head as latin1) from `start` to the empty line that ends at
 * `size`, as a flat name, value list; a reason when one is not strictly name ":" OWS value OWS
 * with the bytes `values` admits.
 */
export function readFields(
  text: string,
  start: number,
  size: number,
  values: Uint8Array = VALUE_OBS,
): string[] | HandoverReason {
  const fields: string[] = []
  for (let i = start; i < size - 2; ) {
    i = readField(text, i, values, fields)
    if (i < 0) return 'field'
    if (fields.length > 2 * MAX_FIELDS) return 'too-large'
  }
  return fields
}

// One field line from `start`: pushed onto `fields`, and where the next begins; -1 if broken.
function readField(text: string, start: number, values: Uint8Array, fields: string[]): number {
  let i = start
  while (TOKEN[text.charCodeAt(i)]) i++
  if (i === start || text.charCodeAt(i) !== 58 /* : */) return -1
  const name = text.slice(start, i++)
  while (isOws(text.charCodeAt(i))) i++
  const valueStart = i
  while (values[text.charCodeAt(i)]) i++
  if (text.charCodeAt(i) !== CR) return -1
  let valueEnd = i
  while (valueEnd > valueStart && isOws(text.charCodeAt(valueEnd - 1))) valueEnd--
  fields.push(name, text.slice(valueStart, valueEnd))
  return i + 2
}

const isOws = (c: number) => c === 32 || c === 9
