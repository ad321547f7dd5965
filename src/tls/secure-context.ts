// Swapping the certificate of a running TLS server: new handshakes get the new one, connections
// already open keep the one they negotiated, so nothing is dropped and nothing restarts.
import type { SecureVersion, Server } from 'node:tls'
import type { ServingCertificate } from './certificates.ts'

/** Serves `certificate` to every new connection of `server` (Fastify's `app.server` with https). */
export function useCertificate(
  server: Server,
  certificate: Pick<ServingCertificate, 'cert' | 'key'>,
  minVersion: SecureVersion = 'TLSv1.2',
): void {
  // setSecureContext() rebuilds the context from these options alone: a minVersion given when the
  // server was created is forgotten unless it is given again.
  server.setSecureContext({ cert: certificate.cert, key: certificate.key, minVersion })
}
