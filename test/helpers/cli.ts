// The `sidecar-patterns` binary run as people run it from a checkout, and its JSON log lines read
// off standard output.
import { type ChildProcess, execFile } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'

export const ROOT = new URL('../../', import.meta.url).pathname
export const BIN = join(ROOT, 'bin/sidecar-patterns.js')

/** Runs the binary with `args` to its end; rejects, with its code and output, on a non-zero exit. */
export const runCli = (args: string[]) =>
  promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT })

export type LogLine = Record<string, unknown>

/**
 * Watches a child's log lines (JSON, or `{ text }` for any other line): `lines` holds them all so
 * far, and `waitFor` resolves with the first line, past or future, that matches. A readline
 * interface is used because leaving a for-await loop would destroy stdout.
 */
export function watchLog(child: ChildProcess) {
  const lines: LogLine[] = []
  const waiters: { predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = []
  createInterface({ input: child.stdout ?? Readable.from([]) }).on('line', (text) => {
    const line: LogLine = text.startsWith('{') ? JSON.parse(text) : { text }
    lines.push(line)
    for (const waiter of waiters.filter((w) => w.predicate(line))) waiter.resolve(line)
  })
  return {
    lines,
    waitFor: (predicate: (l: LogLine) => boolean) =>
      new Promise<LogLine>((resolve) => {
        const seen = lines.find(predicate)
        if (seen) resolve(seen)
        else waiters.push({ predicate, resolve })
      }),
  }
}
