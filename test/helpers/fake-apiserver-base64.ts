// Where the API server's JSON decoder gives up on a []byte field (Secret data, a caBundle): Go's
// base64.StdEncoding.Decode, called by encoding/json's literalStore (sigs.k8s.io/json
// internal/golang/encoding/json/decode.go), fails with CorruptInputError, "illegal base64 data at
// input byte N". Kubernetes users know these offsets from kubectl, so the fake reports the same
// ones: decodeQuantum of Go's encoding/base64, padded, not strict, skipping \r and \n.

const ALPHABET = new Set(
  Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
)
const PAD = 0x3d // '='
const isNewline = (byte: number | undefined) => byte === 0x0a || byte === 0x0d

/** The CorruptInputError offset Go's StdEncoding reports for `text`, or undefined if it decodes. */
export function base64Corruption(text: string): number | undefined {
  // Go decodes the bytes of the JSON string, so offsets count UTF-8 bytes.
  const src = Buffer.from(text, 'utf8')
  let si = 0
  while (si < src.length) {
    const quantum = decodeQuantum(src, si)
    if ('corrupt' in quantum) return quantum.corrupt
    si = quantum.next
  }
  return undefined
}

type Quantum = { next: number } | { corrupt: number }

/** Up to four symbols from `si`: where the next quantum starts, or where decoding failed. */
function decodeQuantum(src: Buffer, start: number): Quantum {
  let si = start
  let j = 0
  while (j < 4) {
    // A quantum cut short: with padding required, only an empty one is fine.
    if (si === src.length) return j === 0 ? { next: si } : { corrupt: si - j }
    const byte = src[si] ?? 0
    si += 1
    if (ALPHABET.has(byte)) j += 1
    else if (!isNewline(byte)) return notInAlphabet(src, si, j)
  }
  return { next: si }
}

/** The byte before `si` is neither a symbol nor a newline: padding after two or three symbols,
 *  or corrupt. */
function notInAlphabet(src: Buffer, si: number, j: number): Quantum {
  return src[si - 1] === PAD && j >= 2 ? padded(src, si, j) : { corrupt: si - 1 }
}

/** After the first '=' at symbol `j` of a quantum: "==" after two symbols, "=" after three,
 *  then nothing but newlines. */
function padded(src: Buffer, after: number, j: number): Quantum {
  let si = after
  const skipNewlines = () => {
    while (si < src.length && isNewline(src[si])) si += 1
  }
  if (j === 2) {
    skipNewlines()
    if (si === src.length) return { corrupt: src.length }
    if (src[si] !== PAD) return { corrupt: si - 1 }
    si += 1
  }
  skipNewlines()
  return si < src.length ? { corrupt: si } : { next: si }
}
