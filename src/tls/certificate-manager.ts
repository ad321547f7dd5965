// Keeps every replica serving the Secret's certificates: at start it ensures the Secret and the
// caBundle, then checks again every interval. A check reads the Secret (polling one object needs
// only `get` on it, where a watch would need `list` and `watch`), renews what is due, re-patches
// the caBundle if it differs (after a CA rotation, or after `kubectl apply` reset it) and hands a
// changed certificate to `onCertificate`. A failed check is retried sooner, with backoff.
import type { Registry } from 'prom-client'
import { type Backoff, type BackoffOptions, backoff } from '../kube/backoff.ts'
import { DEFAULT_WEBHOOK_CONFIGURATION, patchCaBundle } from './ca-bundle.ts'
import { isSameCertificate, type ServingCertificate } from './certificates.ts'
import { registerExpiryMetric } from './expiry-metrics.ts'
import { ensureCertificate, type SecretCertificateOptions } from './secret-certificates.ts'
import type { CertificateSet } from './tls-secret.ts'

export interface CertificateManagerOptions extends Omit<SecretCertificateOptions, 'signal'> {
  /** The MutatingWebhookConfiguration whose caBundle follows the Secret; default sidecar-patterns. */
  webhookConfiguration?: string
  /** Where the expiry gauge is registered. */
  registry: Registry
  /** Called with each new certificate after start(); connect it to useCertificate(). */
  onCertificate: (certificate: ServingCertificate) => void
  /** Time between checks; default 10 minutes. */
  intervalMs?: number
  /** Delays before retrying a failed check. */
  backoff?: BackoffOptions
}

export interface CertificateManager {
  /** Ensures the Secret and the caBundle, starts the periodic checks, and resolves with the
   *  certificate to serve; rejects if no certificate can be had. */
  start(): Promise<ServingCertificate>
  /** One check now, as the timer runs it; rejects with what failed. */
  check(): Promise<void>
  /** What is served now; undefined before start() resolves. */
  current(): ServingCertificate | undefined
  /** Ends the checks and aborts their requests. */
  stop(): Promise<void>
}

// Renewal starts months before expiry (a third of a year for serving certificates), so a check
// every 10 minutes loses nothing; it also bounds how long replicas serve different (both valid)
// certificates after one of them renewed, and how long a reset caBundle stays wrong.
const DEFAULT_INTERVAL_MS = 10 * 60 * 1000

/** A manager for the Secret's certificates; call start() once. */
export function certificateManager(options: CertificateManagerOptions): CertificateManager {
  const manager = new Manager(options)
  registerExpiryMetric(options.registry, () => manager.served, options.now)
  return {
    start: () => manager.start(),
    check: () => manager.check(),
    current: () => manager.served,
    stop: () => manager.stop(),
  }
}

class Manager {
  served: ServingCertificate | undefined
  readonly #options: CertificateManagerOptions
  readonly #stopping = new AbortController()
  readonly #delays: Backoff
  #timer: NodeJS.Timeout | undefined
  #checking: Promise<void> = Promise.resolve()

  constructor(options: CertificateManagerOptions) {
    this.#options = options
    this.#delays = backoff(options.backoff)
  }

  async start(): Promise<ServingCertificate> {
    const set = await this.#ensure()
    this.served = servingOf(set)
    // A caBundle that cannot be patched yet (the configuration is applied after the Deployment,
    // say) must not keep the webhook from serving: the next check retries it soon.
    await this.#patch(set).then(
      () => this.#schedule(this.#interval),
      (error: unknown) => this.#failed(error),
    )
    return this.served
  }

  check(): Promise<void> {
    const next = this.#checking.then(() => this.#check())
    this.#checking = next.catch(() => undefined)
    return next
  }

  async stop(): Promise<void> {
    this.#stopping.abort()
    clearTimeout(this.#timer)
    await this.#checking
  }

  get #interval(): number {
    return this.#options.intervalMs ?? DEFAULT_INTERVAL_MS
  }

  async #check(): Promise<void> {
    if (this.#stopping.signal.aborted) return
    const set = await this.#ensure()
    await this.#patch(set)
    const serving = servingOf(set)
    if (this.served && isSameCertificate(this.served, serving)) return
    this.served = serving
    this.#options.log.info('serving a new certificate from the Secret')
    this.#options.onCertificate(serving)
  }

  #ensure(): Promise<CertificateSet> {
    return ensureCertificate({ ...this.#options, signal: this.#stopping.signal })
  }

  #patch(set: CertificateSet): Promise<boolean> {
    const { kubeConfig, log, webhookConfiguration } = this.#options
    const name = webhookConfiguration ?? DEFAULT_WEBHOOK_CONFIGURATION
    const signal = this.#stopping.signal
    return patchCaBundle({ kubeConfig, name, caBundle: set.ca, log, signal })
  }

  #schedule(ms: number): void {
    if (this.#stopping.signal.aborted) return
    this.#timer = setTimeout(() => {
      this.check().then(
        () => {
          this.#delays.reset()
          this.#schedule(this.#interval)
        },
        (error: unknown) => this.#failed(error),
      )
    }, ms)
    // The server keeps the process alive; a pending check must not keep it from exiting.
    this.#timer.unref()
  }

  #failed(error: unknown): void {
    if (this.#stopping.signal.aborted) return
    const retryInMs = this.#delays.next()
    this.#options.log.warn({ err: error, retryInMs }, 'certificate check failed; retrying')
    this.#schedule(retryInMs)
  }
}

const servingOf = (set: CertificateSet): ServingCertificate => ({
  cert: set.cert,
  key: set.key,
  ca: set.ca,
})
