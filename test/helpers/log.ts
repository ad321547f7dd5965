// A pino logger that keeps what it writes, parsed, for the test to read.
import { type Level, pino } from 'pino'

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/** A logger at `level` and the lines it has written so far (of the shape `L` the test reads). */
export function capturingLog<L = LogLine>(level: Level = 'info') {
  const lines: L[] = []
  const log = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) })
  return { log, lines }
}
