// Header fields as they cross the meter, per RFC 9110 section 7.6.1: hop-by-hop fields describe
// one connection, so they are dropped on each side and Node writes its own (Connection,
// Keep-Alive, Transfer-Encoding); end-to-end fields pass unchanged, in order, with their case.
import { STATUS_CODES } from 'node:http'

// The fields RFC 9110 (7.6.1) and RFC 9112 name as hop-by-hop, plus Proxy-Connection, which
// old clients still send. Each side of the meter frames its own messages, so Transfer-Encoding
// goes too.
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
])

// Node's server has already answered `Expect: 100-continue` (it sends 100 Continue and then
// reads the body), so passing it on would ask the app for a second interim answer; undici
// refuses to send it anyway.
const REQUEST_ONLY = new Set([...HOP_BY_HOP, 'expect'])

// No Via field: RFC 9110 lets a gateway (a reverse proxy) omit it in responses, and in requests
// it would change how some apps answer (nginx's gzip_proxied, off by default, stops compressing
// any request that carries Via) while nginx and Envoy do not add it by default either.

/** What the meter sends to the app in place of a client's request head. */
export interface UpstreamHead {
  /** A flat name, value list, as undici takes it. */
  headers: string[]
  /** Whether a body follows the head (RFC 9112 section 6.3: Transfer-Encoding or a length). */
  hasBody: boolean
}

/**
 * The head to send to the app for a request with `rawHeaders` (Node's flat name, value list)
 * from a client at `clientAddress`: hop-by-hop fields and those the Connection field names
 * removed, X-Forwarded-For appended to, X-Forwarded-Proto set to http unless a proxy in front
 * of the meter (an ingress that ended TLS) already said which scheme the client used.
 */
export function upstreamHead(
  rawHeaders: readonly string[],
  clientAddress: string | undefined,
): UpstreamHead {
  const scan: RequestScan = { kept: [], proto: false, hasBody: false }
  for (let i = 0; i < rawHeaders.length; i += 2)
    scanRequestField(scan, rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '')
  const { named } = scan
  const headers = named ? withoutNamed(scan.kept, named) : scan.kept
  // A client may not make the meter drop the fields it adds itself.
  const forwardedFor = named?.has('x-forwarded-for') ? undefined : scan.forwardedFor
  const address = clientAddress ?? 'unknown'
  headers.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${address}` : address)
  if (!scan.proto || named?.has('x-forwarded-proto')) headers.push('x-forwarded-proto', 'http')
  return { headers, hasBody: scan.hasBody }
}

/**
 * The app's response fields as Node's writeHead takes them (a flat name, value list), from the
 * lower-cased map undici and node:http give, without hop-by-hop fields and those the Connection
 * field names.
 */
export function clientResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): string[] {
  const scan: ResponseScan = { kept: [] }
  for (const name in headers) {
    const value = headers[name]
    if (typeof value === 'string') scanResponseField(scan, name, name, value)
    else if (value) for (const item of value) scanResponseField(scan, name, name, item)
  }
  return endToEnd(scan)
}

/**
 * The fields of the app's 101 (Node's flat raw list) for the client: those of any response, and
 * the two that complete the handshake, as a hop-by-hop pair of its own: Upgrade, which names the
 * protocol now spoken (RFC 9110 section 7.8), and Connection: upgrade, which says it is for this
 * connection.
 */
export function switchedResponseHeaders(rawHeaders: readonly string[]): string[] {
  const scan: ResponseScan = { kept: [] }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? ''
    scanResponseField(scan, name, name.toLowerCase(), rawHeaders[i + 1] ?? '')
  }
  const fields = endToEnd(scan)
  if (scan.upgrade !== undefined) fields.push('connection', 'upgrade', 'upgrade', scan.upgrade)
  return fields
}

/**
 * The app's response fields (a flat raw list, names in their case) for the client, without
 * hop-by-hop fields and those the Connection field names.
 */
export function clientResponseFields(rawHeaders: readonly string[]): string[] {
  const scan: ResponseScan = { kept: [] }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? ''
    scanResponseField(scan, name, name.toLowerCase(), rawHeaders[i + 1] ?? '')
  }
  return endToEnd(scan)
}

/** A response's status line; without a reason phrase, the standard one. */
export function statusLine(status: number, reason?: string): string {
  return `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || ''}\r\n`
}

/**
 * Field lines and the empty line that ends a head, from a flat name, value list whose names and
 * values a parser has already checked (no CR, LF or NUL can break the head).
 */
export function fieldLines(flat: readonly string[]): string {
  let lines = ''
  for (let i = 0; i < flat.length; i += 2) lines += `${flat[i]}: ${flat[i + 1]}\r\n`
  return `${lines}\r\n`
}

interface RequestScan {
  kept: string[]
  /** Further hop-by-hop fields, named by the Connection field. */
  named?: Set<string> | undefined
  forwardedFor?: string | undefined
  proto: boolean
  hasBody: boolean
}

function scanRequestField(scan: RequestScan, name: string, value: string): void {
  const lower = name.toLowerCase()
  if (REQUEST_ONLY.has(lower)) {
    if (lower === 'connection') scan.named = connectionOptions(value, scan.named)
    else if (lower === 'transfer-encoding') scan.hasBody = true
    return
  }
  if (lower === 'x-forwarded-for') {
    scan.forwardedFor = scan.forwardedFor === undefined ? value : `${scan.forwardedFor}, ${value}`
    return
  }
  if (lower === 'x-forwarded-proto') scan.proto = true
  else if (lower === 'content-length' && value !== '0') scan.hasBody = true
  scan.kept.push(name, value)
}

interface ResponseScan {
  kept: string[]
  named?: Set<string> | undefined
  /** The Upgrade field's values, joined, for a 101. */
  upgrade?: string | undefined
}

function scanResponseField(scan: ResponseScan, name: string, lower: string, value: string) {
  if (!HOP_BY_HOP.has(lower)) scan.kept.push(name, value)
  else if (lower === 'connection') scan.named = connectionOptions(value, scan.named)
  else if (lower === 'upgrade')
    scan.upgrade = scan.upgrade === undefined ? value : `${scan.upgrade}, ${value}`
}

function endToEnd(scan: ResponseScan): string[] {
  return scan.named ? withoutNamed(scan.kept, scan.named) : scan.kept
}

// What nearly every Connection field says, as sent: nothing to remove beyond the hop-by-hop fields.
const USUAL_OPTIONS = new Set(['keep-alive', 'Keep-Alive', 'close', 'Close'])

// The Connection field's options name further hop-by-hop fields (RFC 9110 section 7.6.1); the
// usual `keep-alive`, `close` and `upgrade` are dropped anyway, so most messages skip this.
function connectionOptions(value: string, named: Set<string> | undefined) {
  if (USUAL_OPTIONS.has(value)) return named
  let found = named
  for (const option of value.split(',')) {
    const name = option.trim().toLowerCase()
    if (!name || HOP_BY_HOP.has(name) || name === 'close') continue
    found ??= new Set()
    found.add(name)
  }
  return found
}

function withoutNamed(flat: string[], named: Set<string>): string[] {
  const out: string[] = []
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] ?? ''
    if (!named.has(name.toLowerCase())) out.push(name, flat[i + 1] ?? '')
  }
  return out
}
