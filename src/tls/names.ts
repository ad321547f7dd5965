// The names a serving certificate must cover, wherever it comes from.

/** The names the serving certificate must cover. */
export interface CertificateNames {
  dnsNames: string[]
  ips: string[]
}

/** localhost, loopback, and the in-cluster names of the webhook's Service. */
export function serviceNames(service: string, namespace: string): CertificateNames {
  const inCluster = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`]
  return { dnsNames: ['localhost', ...inCluster], ips: ['127.0.0.1', '::1'] }
}
