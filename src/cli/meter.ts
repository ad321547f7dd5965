// `sidecar-patterns meter`: the metrics sidecar's edge. Flags -> configuration -> the proxy and
// its metrics port -> a graceful drain on SIGTERM or SIGINT.
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { METER_USAGE, type MeterConfig, parseMeterArgs } from '../meter/config.ts'
import { startMeter } from '../meter/meter.ts'
import type { Io } from './io.ts'
import { cannotListen, failedListener } from './listen-error.ts'
import { withFlags } from './usage.ts'

// The meter cuts what is left itself when its drain timeout ends; this margin only covers
// closing the pool and the metrics port after that, and is the last resort if they hang.
const EXIT_MARGIN_MS = 5_000

/**
 * Runs the meter until a signal stops it; resolves with an exit code only on bad flags, and
 * rejects, naming the listener, when a port cannot be opened.
 */
export async function meter(args: readonly string[], io: Io): Promise<number | undefined> {
  return withFlags(parseMeterArgs(args), METER_USAGE, io, run)
}

async function run(config: MeterConfig): Promise<undefined> {
  // Synchronous writes: the meter logs little (start, drain, the app's failures), and its last
  // lines must come out whole and in order although the process exits right after them.
  const log = pino({ level: config.logLevel }, pino.destination({ dest: 1, sync: true }))
  const running = await startMeter(config, log).catch((error: unknown) => {
    throw explained(config, error)
  })
  // Injected as a native sidecar, the meter receives SIGTERM only after the app has stopped,
  // so there is nothing to wait for but the requests already in flight.
  closeWithGrace(
    { delay: config.drainTimeoutMs + EXIT_MARGIN_MS, logger: log },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'shutting down after an error')
      else log.info({ signal }, 'shutting down')
      await running.stop()
    },
  )
  return undefined
}

// startMeter says only "EADDRINUSE 127.0.0.1:15091"; the port tells which listener it was, as the
// two ports differ (parseMeterArgs refuses the same one twice).
function explained(config: MeterConfig, error: unknown): unknown {
  const { host, port } = config.listen
  const listener = failedListener(
    [
      { name: 'proxy', flag: '--listen', host, port },
      { name: 'metrics', flag: '--metrics-port', host, port: config.metricsPort },
    ],
    error,
  )
  return listener ? cannotListen(listener, error) : error
}
