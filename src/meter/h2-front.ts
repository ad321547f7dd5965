// `--protocol=http2` and `--protocol=grpc`: an HTTP/2 cleartext server (prior knowledge, as
// gRPC clients inside a cluster connect) in front of the app, each of its sessions closed when
// idle as HTTP/1.1 keep-alive connections are, and sent GOAWAY on drain: clients finish their
// calls and open no new ones on it.
import { createServer, type ServerHttp2Session } from 'node:http2'
import type { FrontFactory } from './front-meter.ts'
import { grpcRoutes } from './grpc.ts'
import { createH2Pool } from './h2-pool.ts'
import { proxyStreams } from './h2-proxy.ts'
import type { ClientLimits } from './limits.ts'
import { createMeterMetrics } from './metrics.ts'
import { compileRoutes } from './routes.ts'

/** The HTTP/2 front: gRPC's metrics and answers for `grpc`, HTTP's for `http2`. */
export const h2Front: FrontFactory = (config, log, limits) => {
  const grpc = config.protocol === 'grpc'
  const metrics = createMeterMetrics(grpc ? 'grpc' : 'http')
  // As many sessions to the app as clients may hold to the meter: the app's stream limit, if
  // it has one, is then the meter's too, per client connection.
  const pool = createH2Pool(config.upstream, limits.maxConnections)
  const server = createServer({
    settings: {
      maxConcurrentStreams: limits.maxStreamsPerConnection,
      maxHeaderListSize: limits.maxHeadBytes,
    },
  })
  server.maxConnections = limits.maxConnections
  server.on('drop', () => metrics.connectionDropped())
  // A session that breaks the protocol (bytes that are not HTTP/2, a bad preface) is closed by
  // Node; it is counted as HTTP/1.1's malformed heads are.
  server.on('sessionError', () => metrics.clientError('malformed'))
  const sessions = new Set<ServerHttp2Session>()
  server.on('session', (session) => watchSession(session, sessions, limits))
  const route = grpc ? grpcRoutes(config.routes) : compileRoutes(config.routes)
  // gRPC calls carry their own deadline (grpc-timeout), and a streaming call may wait long
  // for its first message: the meter does not time the app for them.
  const responseTimeoutMs = grpc ? 0 : config.upstreamTimeoutMs
  server.on('stream', proxyStreams({ pool, metrics, route, log, grpc, responseTimeoutMs }))
  return {
    server,
    registry: metrics.registry,
    // GOAWAY: the calls under way finish, the session closes after them.
    drain: () => {
      for (const session of sessions) session.close()
    },
    cut: () => {
      for (const session of sessions) session.destroy()
    },
    release: () => pool.close(),
  }
}

/**
 * Tracks a session for the drain, and closes it (GOAWAY) after the keep-alive timeout without
 * a stream open, so that a client's idle connections, or one that never sends a call, do not
 * hold a place under the connection cap for ever.
 */
function watchSession(
  session: ServerHttp2Session,
  sessions: Set<ServerHttp2Session>,
  limits: Readonly<ClientLimits>,
): void {
  sessions.add(session)
  let open = 0
  const idle = () => setTimeout(() => session.close(), limits.keepAliveTimeoutMs)
  let timer = idle()
  session.on('stream', (stream) => {
    open++
    clearTimeout(timer)
    stream.once('close', () => {
      if (--open === 0 && !session.closed) timer = idle()
    })
  })
  session.once('close', () => {
    clearTimeout(timer)
    sessions.delete(session)
  })
}
