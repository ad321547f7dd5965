// `sidecar-patterns serve` as its own process, as a Pod runs it: on loopback, on free ports, with
// its certificates in a temporary folder; killed when the test ends.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { within } from './eventually.ts'

export const BIN = new URL('../../bin/sidecar-patterns.js', import.meta.url).pathname

export interface ServeProcess {
  child: ChildProcess
  /** https://127.0.0.1:PORT */
  origin: string
  /** http://127.0.0.1:PORT/metrics */
  metricsUrl: string
  certDir: string
}

/**
 * Starts `serve` with `args` and, for the flags they do not give, the loopback and free-port
 * defaults (a flag given twice is refused); resolves once it listens.
 */
export async function startServe(t: Test, args: string[] = []): Promise<ServeProcess> {
  const certDir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-serve-'))
  const defaults = Object.entries({
    '--port': '0',
    '--host': '127.0.0.1',
    '--metrics-port': '0',
    '--shutdown-delay': '0s',
    '--cert-dir': certDir,
  }).filter(([flag]) => !args.includes(flag))
  const child = spawn(process.execPath, [BIN, 'serve', ...defaults.flat(), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  // The metrics server listens first, then the webhook: both say where on standard output.
  let metricsUrl = ''
  const listening = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)))
    createInterface({ input: child.stdout ?? process.stdin }).on('line', (line) => {
      const metrics =
        /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)","msg":"metrics server listening"/.exec(line)
      if (metrics?.[1]) metricsUrl = metrics[1]
      const match = /Server listening at (https:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match?.[1]) resolve(match[1])
    })
  })
  // A generous deadline: a new Node process that may generate its certificates first.
  const origin = await within(listening, {
    what: 'serve to say where it listens',
    timeoutMs: 30_000,
  })
  return { child, origin, metricsUrl, certDir }
}
