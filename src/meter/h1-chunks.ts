// The chunked transfer coding (RFC 9112 section 7.1), decoded strictly for the meter's fast path,
// in both directions: the data of each chunk is handed on as it arrives, and the meter writes its
// own chunk framing on the other side, so the boundary the next hop sees is the one counted here
// whatever oddities the sender's framing had. Strict all the same, because a body is already
// under way when it breaks: chunk sizes of hex digits only (no sign, prefix or whitespace, at most
// 12 digits, where parsers that overflow disagree), extensions only as `;token[=token]` runs,
// CRLF everywhere, trailer fields read as head fields are. What breaks these rules ends the
// message: the request is cut (the app never sees a boundary) and the connection closed.
import { BROKEN, headEnd, readFields, TOKEN_CHARS, table } from './h1-heads.ts'

/** feed() needs more bytes. */
export const NEED_MORE = -1
/** The framing broke the rules. */
export const MALFORMED = -2
/** A chunk line or the trailer section is longer than the meter takes. */
export const TOO_LARGE = -3

// Node's cap on a chunk's extensions (llhttp's max_chunk_extensions, 16 KiB); beyond, 413.
const MAX_LINE_BYTES = 16 * 1024
const MAX_SIZE_DIGITS = 12

const SIZE = 0
const EXTENSION = 1
const SIZE_LF = 2
const DATA = 3
const DATA_CR = 4
const DATA_LF = 5
const TRAILERS = 6
const DONE = 7

// A chunk extension's bytes: tokens, and the `;` and `=` between them.
const EXTENSION_CHARS = table(`${TOKEN_CHARS};=`)

/** One chunked body, decoded as its bytes come. */
export class ChunkedDecoder {
  /** The trailer fields (flat name, value list), once the body is complete. */
  trailers: string[] = []
  readonly #onData: (data: Buffer) => void
  readonly #maxTrailerBytes: number
  #state = SIZE
  #size = 0
  #digits = 0
  #lineBytes = 0
  #trailer: Buffer | undefined

  /** `onData` gets each piece of chunk data; the trailer section may take `maxTrailerBytes`. */
  constructor(onData: (data: Buffer) => void, maxTrailerBytes: number) {
    this.#onData = onData
    this.#maxTrailerBytes = maxTrailerBytes
  }

  /**
   * Decodes `bytes` from `start`: the offset just past the body's end when it ends in them,
   * else NEED_MORE, or MALFORMED or TOO_LARGE (after which the decoder must not be fed again).
   */
  feed(bytes: Buffer, start: number): number {
    let i = start
    while (i < bytes.length) {
      if (this.#state === DATA) i = this.#data(bytes, i)
      else if (this.#state === TRAILERS) return this.#trailerSection(bytes, i)
      else {
        const verdict = this.#framing(bytes[i] as number)
        if (verdict !== NEED_MORE) return this.#fail(verdict)
        i++
      }
    }
    return NEED_MORE
  }

  // Passes on what `bytes` holds of the current chunk's data; where its framing resumes.
  #data(bytes: Buffer, i: number): number {
    const take = Math.min(this.#size, bytes.length - i)
    this.#onData(bytes.subarray(i, i + take))
    this.#size -= take
    if (this.#size === 0) this.#state = DATA_CR
    return i + take
  }

  // One byte of framing: NEED_MORE to go on, or what is wrong with it.
  #framing(c: number): number {
    switch (this.#state) {
      case SIZE:
        return this.#sizeByte(c)
      case EXTENSION:
        return this.#extensionByte(c)
      case SIZE_LF:
        this.#state = this.#size === 0 ? TRAILERS : DATA
        this.#digits = 0
        this.#lineBytes = 0
        return c === 10 ? NEED_MORE : MALFORMED
      case DATA_CR:
        this.#state = DATA_LF
        return c === 13 ? NEED_MORE : MALFORMED
      case DATA_LF:
        this.#state = SIZE
        return c === 10 ? NEED_MORE : MALFORMED
    }
    return MALFORMED
  }

  // Extensions are skipped (the meter writes its own framing), within a bound.
  #extensionByte(c: number): number {
    if (++this.#lineBytes > MAX_LINE_BYTES) return TOO_LARGE
    if (c === 13) this.#state = SIZE_LF
    return c === 13 || EXTENSION_CHARS[c] ? NEED_MORE : MALFORMED
  }

  #sizeByte(c: number): number {
    const digit = hexValue(c)
    if (digit >= 0) {
      this.#size = this.#size * 16 + digit
      return ++this.#digits > MAX_SIZE_DIGITS ? MALFORMED : NEED_MORE
    }
    if (this.#digits === 0) return MALFORMED
    if (c === 13) this.#state = SIZE_LF
    else if (c === 59 /* ; */) this.#state = EXTENSION
    else return MALFORMED
    return NEED_MORE
  }

  /** The trailer section, from `i` on: the empty line alone, or field lines and it. */
  #trailerSection(bytes: Buffer, i: number): number {
    const held = this.#trailer?.length ?? 0
    const section = held
      ? Buffer.concat([this.#trailer as Buffer, bytes.subarray(i)])
      : bytes.subarray(i)
    const end = trailerEnd(section, held)
    if (end === BROKEN) return this.#fail(MALFORMED)
    if (end > this.#maxTrailerBytes) return this.#fail(TOO_LARGE)
    if (end === -1) {
      if (section.length > this.#maxTrailerBytes) return this.#fail(TOO_LARGE)
      this.#trailer = Buffer.from(section)
      return NEED_MORE
    }
    const fields = end > 2 ? readFields(section.toString('latin1', 0, end), 0, end) : []
    if (typeof fields === 'string') return this.#fail(MALFORMED)
    this.trailers = fields
    this.#state = DONE
    this.#trailer = undefined
    return i + end - held
  }

  #fail(code: number): number {
    this.#state = DONE
    return code
  }
}

// Where a trailer section ends: after its empty line, which comes first when there are no fields.
function trailerEnd(section: Buffer, held: number): number {
  if (section.length < 2) return section[0] === 10 ? BROKEN : -1
  if (section[0] === 13) return section[1] === 10 ? 2 : BROKEN
  return headEnd(section, Math.max(0, held - 1))
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const lower = c | 0x20
  return lower >= 97 && lower <= 102 ? lower - 87 : -1
}
