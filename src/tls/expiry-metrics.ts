// Seconds until the served certificates expire, computed when Prometheus scrapes, so the value is
// never stale and alerts can fire on a certificate that failed to renew.
import { Gauge, type Registry } from 'prom-client'
import type { ServingCertificate } from './certificates.ts'
import { firstCertificate } from './inspect.ts'

export const EXPIRY_METRIC = 'sidecar_patterns_certificate_expiry_seconds'

/** Registers the expiry gauge on `registry` (never the global one) for whatever `current` serves. */
export function registerExpiryMetric(
  registry: Registry,
  current: () => ServingCertificate | undefined,
  now: () => Date = () => new Date(),
): Gauge<'certificate'> {
  return new Gauge({
    name: EXPIRY_METRIC,
    help: 'Seconds until a certificate the webhook serves expires: the serving certificate, and the first CA of the caBundle (negative once expired).',
    labelNames: ['certificate'],
    registers: [registry],
    collect() {
      this.reset()
      const served = current()
      if (!served) return
      const seconds = (pem: string) =>
        Math.round((firstCertificate(pem).validToDate.getTime() - now().getTime()) / 1000)
      this.set({ certificate: 'serving' }, seconds(served.cert))
      if (served.ca !== undefined) this.set({ certificate: 'ca' }, seconds(served.ca))
    },
  })
}
