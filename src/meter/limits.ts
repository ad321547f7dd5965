// What one client connection may cost the meter. Only what a client does before the meter has a
// request is timed: its head, and the idle time between requests on a kept-alive connection.
// Once a head is in, the app decides how long the request may take (uploads, long responses,
// WebSocket tunnels last as long as they do), and the number of connections bounds the rest.
// No flag sets these: the meter's flags are about the app, and these are about its own memory.
import type { ServerOptions } from 'node:http'

export interface ClientLimits {
  /** The longest a request head may take to arrive: from the connection's opening for its first
   *  request, from the first byte of each later one. Then 408 and the connection is closed. */
  headTimeoutMs: number
  /** How often heads are checked against their deadline; a head is cut up to this much late. */
  headCheckIntervalMs: number
  /** The longest a kept-alive connection may stay idle between a response and the next request. */
  keepAliveTimeoutMs: number
  /** Connections beyond this are closed as soon as they are accepted (tunnels count too). */
  maxConnections: number
  /** The same, on the metrics port. */
  maxMetricsConnections: number
  /** The largest request head accepted, in bytes; a larger one is answered 431. */
  maxHeadBytes: number
  /** HTTP/2 and gRPC: the most streams (calls) one client connection may have open at once. */
  maxStreamsPerConnection: number
  /** TCP: the longest a relayed connection may carry no byte either way; then both sides close. */
  tcpIdleTimeoutMs: number
}

export const CLIENT_LIMITS: Readonly<ClientLimits> = Object.freeze({
  // A head comes in one packet from any real client; 20 s lets even the largest one (below)
  // arrive at under 1 KB/s, as Apache's mod_reqtimeout gives heads 20 s to start with, and
  // frees the slot of a client that never finishes three times sooner than Node's 60 s would.
  // It must be set: Node's default head timeout is the smaller of 60 s and requestTimeout, which
  // the meter sets to 0 (below), and 0 means none.
  headTimeoutMs: 20_000,
  // A walk over at most maxConnections entries a second costs nothing measurable; Node's
  // default of 30 s would let a head live up to 50 s.
  headCheckIntervalMs: 1_000,
  // Longer than the idle timeout of what usually keeps connections to a Pod open (ingress-nginx
  // and most cloud load balancers: 60 s), so that they, not the meter, close an idle connection;
  // the other way round, a request sent just as the meter closes it fails. nginx's default.
  keepAliveTimeoutMs: 75_000,
  // The meter's memory limit is 256 MiB and it was measured at 209 MB with 1,024 connections
  // all at full speed (README, "What it costs"): the cap keeps the worst case under the limit.
  // A connection that only dribbles a head costs far less (about 9 KB).
  maxConnections: 1_024,
  // The metrics port has a few clients (the kubelet's probes, one connection each, and a
  // scraper or two); 64 leaves them ample room and costs under 1 MB held open.
  maxMetricsConnections: 64,
  // Node's default, written down so that --max-http-header-size in NODE_OPTIONS cannot raise
  // it; the apps behind the meter, Node's own default among them, rarely accept more.
  maxHeadBytes: 16 * 1024,
  // The least RFC 9113 (section 6.5.2) recommends, and what nginx and most gRPC servers
  // advertise (nginx 128, grpc-go none): a client that needs more opens another connection.
  // Memory stays bounded by flow control, not by this: what the meter holds unread of one
  // connection is at most its connection window (64 KiB), whatever the number of streams.
  maxStreamsPerConnection: 100,
  // Connections to databases and brokers sit idle in their clients' pools for minutes
  // (HikariCP closes idle ones after 10, keeps none longer than 30), and a relay that closed
  // them first would fail the next query. An hour, Envoy's tcp_proxy default (which Istio
  // keeps), frees what a client forgot without cutting what a pool keeps; the connection cap
  // bounds the rest.
  tcpIdleTimeoutMs: 60 * 60_000,
})

/** Node's options for the proxy's server; maxConnections is set on it once created. */
export function serverOptions(limits: Readonly<ClientLimits>): ServerOptions {
  return {
    headersTimeout: limits.headTimeoutMs,
    connectionsCheckingInterval: limits.headCheckIntervalMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeadBytes,
    // The app decides how long a request may take to arrive once its head is in: no deadline
    // on the whole request (Node's default is 300 s, which would cut long uploads).
    requestTimeout: 0,
  }
}

/** Node's options for the metrics port's server: the same, but it reads no request body, so a
 *  whole request has the head's deadline. */
export function metricsServerOptions(limits: Readonly<ClientLimits>): ServerOptions {
  return { ...serverOptions(limits), requestTimeout: limits.headTimeoutMs }
}
