// An Io for running a command in-process: what it writes is kept for the test to read.
import type { Io } from '../../src/cli/io.ts'

export interface CapturedIo {
  io: Io
  /** Standard output so far. */
  out(): string
  /** Standard error so far. */
  err(): string
}

/** An Io whose standard input is `stdin`, for a binary of `version`. */
export function captureIo(stdin = '', version = '0.0.0-test'): CapturedIo {
  let out = ''
  let err = ''
  const io: Io = {
    out: (text) => {
      out += `${text}\n`
    },
    write: (text) => {
      out += text
    },
    err: (text) => {
      err += `${text}\n`
    },
    version,
    stdin: async () => stdin,
  }
  return { io, out: () => out, err: () => err }
}
