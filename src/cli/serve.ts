// `sidecar-patterns serve`: the only impure edge of the webhook. Flags -> configuration ->
// catalog, certificates and namespaces -> server -> listen, and a graceful close on SIGTERM.

import { setTimeout } from 'node:timers/promises'
import type { Server } from 'node:tls'
import type { KubeConfig } from '@kubernetes/client-node'
import closeWithGrace from 'close-with-grace'
import { type Logger, pino } from 'pino'
import { Registry } from 'prom-client'
import { type NamespaceLookup, noNamespaces } from '../admission/namespaces.ts'
import { loadCatalog } from '../catalog/load.ts'
import { type CatalogStore, fixedCatalog, watchCatalog } from '../catalog/store.ts'
import { parseServeArgs, SERVE_USAGE, type ServeConfig } from '../config/serve.ts'
import type { NamespaceFacts } from '../injection/scope.ts'
import { loadKubeConfig, watchNamespaces } from '../kube/namespaces.ts'
import { createWebhookMetrics } from '../observability/metrics.ts'
import { type MetricsServer, startMetricsServer } from '../observability/metrics-server.ts'
import { registerNamespaceReach } from '../observability/namespace-reach.ts'
import { buildServer } from '../server.ts'
import { namingFlag } from '../shared/flag-file.ts'
import { type CertificateSource, openCertificates } from './certificates.ts'
import type { Io } from './io.ts'
import { listening } from './listen-error.ts'
import { selfImage } from './self-image.ts'
import { withFlags } from './usage.ts'

// After the drain delay, time for in-flight reviews to finish (the API server waits at most the
// webhook's 5 s timeout for one), well inside a Pod's default 30 s termination grace period.
const CLOSE_TIMEOUT_MS = 15_000

/**
 * Runs the webhook until a signal stops it; resolves with an exit code only on bad flags, and
 * rejects, with all it opened closed again, when it cannot start (a port in use, say).
 */
export async function serve(args: readonly string[], io: Io): Promise<number | undefined> {
  return withFlags(parseServeArgs(args), SERVE_USAGE, io, (config) => run(config, io))
}

async function run(config: ServeConfig, io: Io): Promise<undefined> {
  const log = pino({ level: config.logLevel })
  const { app, catalog, certificates, namespaces, metricsServer } = await start(config, io, log)
  // On SIGTERM: not ready at once, keep answering while endpoints drop this Pod (every answer
  // closes its connection), then stop listening and finish what is in flight. Installed once
  // both ports are open: before, a failure ends the process through start() (this handler would
  // turn the empty event loop into an exit code of 0).
  const delay = config.shutdownDelayMs
  closeWithGrace({ delay: delay + CLOSE_TIMEOUT_MS, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal, drainMs: delay }, 'shutting down')
    app.drain()
    await setTimeout(delay)
    catalog.close()
    await Promise.all([app.close(), namespaces.stop(), metricsServer.close(), certificates.close()])
  })
  return undefined
}

interface Running {
  app: ReturnType<typeof buildServer>
  catalog: CatalogStore
  certificates: CertificateSource
  namespaces: Namespaces
  metricsServer: MetricsServer
}

// Opens everything and listens on both ports. If any step fails (an invalid catalog, a port in
// use), what the steps before it opened is closed again before the error is thrown: a file
// watch, the certificate manager's timer or the namespace watch would otherwise keep the process
// up, not listening, instead of letting it exit 1 and the kubelet restart it.
async function start(config: ServeConfig, io: Io, log: Logger): Promise<Running> {
  const opened: (() => unknown)[] = []
  try {
    const metrics = createWebhookMetrics(new Registry())
    const kubeConfig = kubeConfigOnce(config)
    const catalog = await openCatalog(config, {
      selfImage: selfImage(config.image, io.version),
      log,
      metrics,
    })
    opened.push(() => catalog.close())
    const certificates = await openCertificates(config, {
      log,
      registry: metrics.registry,
      kubeConfig,
    })
    opened.push(() => certificates.close())
    const namespaces = openNamespaces(config, kubeConfig, log)
    opened.push(() => namespaces.stop())
    registerNamespaceReach(metrics.registry, {
      namespaces: namespaces.list,
      catalog: catalog.current,
    })
    const app = buildServer({
      catalog: catalog.current,
      namespaces: namespaces.lookup,
      ready: namespaces.synced,
      tls: certificates.certificate,
      logger: log,
      metrics,
    })
    opened.push(() => app.close())
    certificates.attach(app.server as unknown as Server)
    const { host, port, metricsPort } = config
    const metricsServer = await listening(
      { name: 'metrics', flag: '--metrics-port', host, port: metricsPort },
      () => startMetricsServer(metrics.registry, host, metricsPort),
    )
    opened.push(() => metricsServer.close())
    log.info({ url: `http://${host}:${metricsServer.port}/metrics` }, 'metrics server listening')
    await listening({ name: 'webhook HTTPS', flag: '--port', host, port }, () =>
      app.listen({ port, host }),
    )
    return { app, catalog, certificates, namespaces, metricsServer }
  } catch (error) {
    for (const close of opened.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch((err: unknown) => log.warn({ err }, 'closing after a failed start'))
    }
    throw error
  }
}

// The cluster's API as loadKubeConfig finds it: --kubeconfig, the in-cluster configuration in a
// Pod, else $KUBECONFIG or ~/.kube/config (--tls-mode secret outside a Pod); loaded once, when
// first needed.
function kubeConfigOnce(config: ServeConfig): () => KubeConfig {
  let loaded: KubeConfig | undefined
  return () => {
    loaded ??= loadKubeConfig(
      config.kubeconfig === undefined ? {} : { kubeconfig: config.kubeconfig },
    )
    return loaded
  }
}

interface Namespaces {
  lookup: NamespaceLookup
  synced: () => boolean
  list: () => Iterable<NamespaceFacts>
  stop: () => Promise<void>
}

// In a Pod (or with --kubeconfig) namespaces come from a watch-backed cache, and the webhook is
// ready once the first list is in; elsewhere no namespace is read and it is ready at once.
function openNamespaces(
  config: ServeConfig,
  kubeConfig: () => KubeConfig,
  log: Logger,
): Namespaces {
  const inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined
  if (config.kubeconfig === undefined && !inCluster) {
    log.info('no Kubernetes API configured: namespace defaults and policies are not applied')
    return { lookup: noNamespaces, synced: () => true, list: () => [], stop: async () => undefined }
  }
  const watcher = watchNamespaces(kubeConfig(), log)
  watcher.start().then(
    () => log.info('namespace cache synced'),
    (err: unknown) => log.warn({ err }, 'namespace cache stopped before its first list'),
  )
  return watcher
}

async function openCatalog(
  config: ServeConfig,
  options: Parameters<typeof watchCatalog>[1],
): Promise<CatalogStore> {
  const path = config.config
  if (path !== undefined)
    return watchCatalog(path, options).catch((error: unknown) => {
      throw namingFlag('--config', path, error)
    })
  const builtin = loadCatalog(undefined, options.selfImage)
  if (!builtin.ok) throw new Error(`the built-in catalog is invalid: ${builtin.errors.join('; ')}`)
  return fixedCatalog(builtin.catalog)
}
