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
import { startMetricsServer } from '../observability/metrics-server.ts'
import { registerNamespaceReach } from '../observability/namespace-reach.ts'
import { buildServer } from '../server.ts'
import { openCertificates } from './certificates.ts'
import type { Io } from './io.ts'
import { selfImage } from './self-image.ts'
import { withFlags } from './usage.ts'

// After the drain delay, time for in-flight reviews to finish (the API server waits at most the
// webhook's 5 s timeout for one), well inside a Pod's default 30 s termination grace period.
const CLOSE_TIMEOUT_MS = 15_000

/** Runs the webhook until a signal stops it; resolves with an exit code only on bad flags. */
export async function serve(args: readonly string[], io: Io): Promise<number | undefined> {
  return withFlags(parseServeArgs(args), SERVE_USAGE, io, (config) => run(config, io))
}

async function run(config: ServeConfig, io: Io): Promise<undefined> {
  const log = pino({ level: config.logLevel })
  const metrics = createWebhookMetrics(new Registry())
  const kubeConfig = kubeConfigOnce(config)
  const catalog = await openCatalog(config, {
    selfImage: selfImage(config.image, io.version),
    log,
    metrics,
  })
  const certificates = await openCertificates(config, {
    log,
    registry: metrics.registry,
    kubeConfig,
  })
  const namespaces = openNamespaces(config, kubeConfig, log)
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
  certificates.attach(app.server as unknown as Server)
  const metricsServer = await startMetricsServer(metrics.registry, config.host, config.metricsPort)
  const metricsUrl = `http://${config.host}:${metricsServer.port}/metrics`
  log.info({ url: metricsUrl }, 'metrics server listening')
  // On SIGTERM: not ready at once, keep answering while endpoints drop this Pod (every answer
  // closes its connection), then stop listening and finish what is in flight.
  const delay = config.shutdownDelay * 1000
  closeWithGrace({ delay: delay + CLOSE_TIMEOUT_MS, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal, drainSeconds: config.shutdownDelay }, 'shutting down')
    app.drain()
    await setTimeout(delay)
    catalog.close()
    await Promise.all([app.close(), namespaces.stop(), metricsServer.close(), certificates.close()])
  })
  await app.listen({ port: config.port, host: config.host })
  return undefined
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
  if (config.config !== undefined) return watchCatalog(config.config, options)
  const builtin = loadCatalog(undefined, options.selfImage)
  if (!builtin.ok) throw new Error(`the built-in catalog is invalid: ${builtin.errors.join('; ')}`)
  return fixedCatalog(builtin.catalog)
}
