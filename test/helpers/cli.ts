// The `sidecar-patterns` binary run as people run it from a checkout, a command line run in this
// process as the binary would run it, and the JSON log lines a child writes on standard output.
import { type ChildProcess, execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { mainReporting } from '../../src/cli/main.ts'
import { captureIo } from './io.ts'

export const ROOT = new URL('../../', import.meta.url).pathname
export const BIN = join(ROOT, 'bin/sidecar-patterns.js')

/** Runs the binary with `args` to its end; rejects, with its code and output, on a non-zero exit. */
export const runCli = (args: string[]) =>
  promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT })

/** How a command line ended: its exit code and all it wrote. */
export interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** The version in package.json, which the binary reports. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version

/** Runs the binary with `args` in `env` to its end, whatever its exit code. */
export function runBinary(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Ran) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}

/**
 * Runs a command line in this process as the binary runs it (same reporting of a thrown error,
 * same version), to its end: for what does not need a process of its own, in a fraction of the
 * time. Standard input is `stdin`; the environment is this process's.
 */
export async function runInProcess(args: string[], stdin = ''): Promise<Ran> {
  const run = captureIo(stdin, PACKAGE_VERSION)
  const { code } = await mainReporting(args, run.io)
  if (code === undefined) throw new Error(`${args.join(' ')}: still running (a server?)`)
  return { code, stdout: run.out(), stderr: run.err() }
}

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
