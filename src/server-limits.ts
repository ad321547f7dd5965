// What one connection may cost the webhook. Its port is reachable from the cluster, not only by
// the API server, so every step a client controls has a deadline: the TLS handshake, the request
// head, the whole request, the idle time between requests; and the number of connections has a
// cap. Reading the answer has none: an answer is a few KB, which the kernel takes at once. The
// metrics port (src/observability/metrics-server.ts) takes the head deadline and a cap of its own.

export interface ConnectionLimits {
  /** The longest a TLS handshake may take; then the connection is closed. */
  handshakeTimeoutMs: number
  /** The longest a request head may take to arrive; then 408 and the connection is closed. */
  headTimeoutMs: number
  /** The longest a whole request, head and body, may take to arrive; then 408, as above. */
  requestTimeoutMs: number
  /** How often heads and requests are checked against their deadlines (up to this much late). */
  checkIntervalMs: number
  /** The longest a kept-alive connection may stay idle between an answer and the next request. */
  keepAliveTimeoutMs: number
  /** Connections beyond this are closed as soon as they are accepted. */
  maxConnections: number
}

// The API server gives up on a handshake after 10 s (TLSHandshakeTimeout of client-go's
// transports); Node's default of 120 s only serves clients that are not the API server.
export const HANDSHAKE_TIMEOUT_MS = 10_000

// The API server writes a review's head at once; 10 s is the default timeoutSeconds of a whole
// webhook call (ours is 5 s), so a head still incomplete by then is not from a caller that waits.
export const HEAD_TIMEOUT_MS = 10_000

// 30 s is the longest timeoutSeconds the API server accepts for a webhook: a request still
// arriving by then has no caller left. Without it, a body sent a byte at a time would hold its
// connection, and up to the 7 MiB body limit of memory, for as long as it pleased.
export const REQUEST_TIMEOUT_MS = 30_000

// A walk over at most MAX_CONNECTIONS entries a second costs nothing measurable; Node's default
// of 30 s would let a head live up to 40 s.
export const CHECK_INTERVAL_MS = 1_000

// Longer than the 90 s after which the API server's client closes an idle connection (client-go's
// transports take IdleConnTimeout from Go's http.DefaultTransport), so that the API server, not
// the webhook, closes it: the other way round, a review sent just as the webhook closes the
// connection fails, and Go does not retry a POST it has written. The cost is a few idle
// connections per API server (client-go keeps up to 25) held 5 s longer. Fastify's default is
// 72 s. (Node adds one more second before it closes the socket.)
export const KEEP_ALIVE_TIMEOUT_MS = 95_000

// An API server admits at most 200 mutating requests at a time by default
// (--max-mutating-requests-inflight), each a connection to a webhook at most, spread over its
// replicas, and keeps up to 25 idle: 512 leaves room for two API servers sending everything to
// one replica. An idle TLS connection costs about 90 KB, so 512 stay near 45 MB of the 512 MiB
// memory limit.
export const MAX_CONNECTIONS = 512

// The metrics port has a scraper or two for clients; 64 leaves them ample room.
export const METRICS_MAX_CONNECTIONS = 64

export const CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  headTimeoutMs: HEAD_TIMEOUT_MS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  checkIntervalMs: CHECK_INTERVAL_MS,
  keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  maxConnections: MAX_CONNECTIONS,
})
