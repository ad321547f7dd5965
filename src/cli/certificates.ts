// Where `serve` gets its serving certificate, by --tls-mode, and how a new one reaches the running
// server (setSecureContext: new handshakes get it, open connections keep theirs).
import type { Server } from 'node:tls'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ServeConfig } from '../config/serve.ts'
import { certificateManager } from '../tls/certificate-manager.ts'
import { loadOrCreate, type ServingCertificate, serviceNames } from '../tls/certificates.ts'
import { registerExpiryMetric } from '../tls/expiry-metrics.ts'
import { useCertificate } from '../tls/secure-context.ts'
import { watchCertificateFiles } from '../tls/watch-files.ts'

export interface CertificateSource {
  /** What to serve at start. */
  certificate: ServingCertificate
  /** Hands later certificates to the server once it exists. */
  attach(server: Server): void
  close(): Promise<void>
}

interface Context {
  log: Logger
  registry: Registry
  /** The cluster's API, for --tls-mode secret. */
  kubeConfig: () => KubeConfig
}

/** Opens the certificate source that --tls-mode names. */
export async function openCertificates(
  config: ServeConfig,
  context: Context,
): Promise<CertificateSource> {
  const { log, registry } = context
  let server: Server | undefined
  const swap = (certificate: ServingCertificate) => {
    if (server) useCertificate(server, certificate)
    log.info('serving a new certificate')
  }
  const attach = (s: Server) => {
    server = s
  }
  const names = serviceNames(config.service, config.namespace)
  switch (config.tlsMode) {
    case 'secret': {
      const manager = certificateManager({
        kubeConfig: context.kubeConfig(),
        namespace: config.namespace,
        secretName: config.tlsSecret,
        webhookConfiguration: config.webhookConfiguration,
        names,
        log,
        registry,
        onCertificate: swap,
      })
      return { certificate: await manager.start(), attach, close: () => manager.stop() }
    }
    case 'files': {
      const files = await watchCertificateFiles(config.certDir, swap, log)
      registerExpiryMetric(registry, files.current)
      return { certificate: files.current(), attach, close: async () => files.close() }
    }
    case 'generate': {
      const { certificate, created } = await loadOrCreate(config.certDir, names)
      if (created)
        log.info({ dir: config.certDir, names }, 'generated a CA and a serving certificate')
      registerExpiryMetric(registry, () => certificate)
      return { certificate, attach, close: async () => undefined }
    }
  }
}
