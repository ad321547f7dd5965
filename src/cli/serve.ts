// `sidecar-patterns serve`: the only impure edge of the webhook. Flags -> configuration ->
// certificates -> server -> listen, and a graceful close on SIGINT or SIGTERM.
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { parseServeArgs, SERVE_USAGE } from '../config/serve.ts'
import { builtinCatalog, defaultImages } from '../injection/sidecars/index.ts'
import { buildServer } from '../server.ts'
import { loadOrCreate, serviceNames } from '../tls/certificates.ts'
import type { Io } from './io.ts'

// Long enough for in-flight reviews (the API server waits at most 30 s for one), short enough
// to stay well inside a Pod's default 30 s termination grace period.
const SHUTDOWN_DELAY_MS = 10_000

/** Runs the webhook until a signal stops it; resolves with an exit code only on bad flags. */
export async function serve(args: readonly string[], io: Io): Promise<number | undefined> {
  const parsed = parseServeArgs(args)
  if (parsed.ok === 'help') {
    io.out(SERVE_USAGE)
    return 0
  }
  if (!parsed.ok) {
    io.err(`${parsed.errors.map((e) => `error: ${e}`).join('\n')}\n\n${SERVE_USAGE}`)
    return 2
  }
  const config = parsed.value
  const log = pino({ level: config.logLevel })
  const names = serviceNames(config.service, config.namespace)
  const { certificate, created } = await loadOrCreate(config.certDir, names)
  if (created) log.info({ dir: config.certDir, names }, 'generated a CA and a serving certificate')

  const images = defaultImages(io.version)
  if (config.meterImage !== undefined) images.meter = config.meterImage
  const app = buildServer({
    admission: Object.freeze({ catalog: builtinCatalog, images: Object.freeze(images) }),
    tls: certificate,
    logger: log,
  })
  closeWithGrace({ delay: SHUTDOWN_DELAY_MS, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  return undefined
}
