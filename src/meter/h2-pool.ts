// The HTTP/2 sessions from the meter to the app (h2c, prior knowledge, as gRPC uses inside a
// Pod): calls are multiplexed on as few sessions as the app's stream limit allows; a session
// the app sends GOAWAY on takes no new calls and goes once its calls end.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type OutgoingHttpHeaders,
} from 'node:http2'

/** Opens streams to the app on pooled sessions. */
export interface H2Pool {
  /** Opens a stream; errors (the app refusing connections too) arrive on the stream. */
  request(headers: OutgoingHttpHeaders): ClientHttp2Stream
  /** Closes every session once its streams end. */
  close(): Promise<void>
}

interface Entry {
  session: ClientHttp2Session
  /** Streams opened on the session and not closed yet. */
  active: number
  /** The most streams the app takes on it at once (its SETTINGS_MAX_CONCURRENT_STREAMS). */
  limit: number
}

// Before any SETTINGS from the app, a session is given as many streams as RFC 9113 (section
// 6.5.2) recommends every server to allow; later sessions start from what the app said on the
// last one, as they reach the same server.
const FIRST_STREAMS = 100

/** A pool of at most `maxSessions` sessions to `origin` (http://HOST:PORT). */
export function createH2Pool(origin: string, maxSessions: number): H2Pool {
  const entries = new Set<Entry>()
  let known = FIRST_STREAMS
  const open = (): Entry => {
    // No push: the meter forwards responses to requests, nothing the client did not ask for.
    const session = connect(origin, { settings: { enablePush: false } })
    const entry: Entry = { session, active: 0, limit: known }
    entries.add(entry)
    session.on('remoteSettings', (settings) => {
      entry.limit = settings.maxConcurrentStreams ?? Number.POSITIVE_INFINITY
      known = entry.limit
    })
    // A failed session fails its streams, which report it; the session itself only leaves.
    session.on('error', () => {})
    session.once('goaway', () => entries.delete(entry))
    session.once('close', () => entries.delete(entry))
    return entry
  }
  // The first session with room; a new one if none has; at the cap, the least busy one, on
  // which the stream waits (in nghttp2's queue) until one of its calls ends.
  const acquire = (): Entry => {
    const usable = [...entries].filter(({ session }) => !session.closed && !session.destroyed)
    const roomy = usable.find((entry) => entry.active < entry.limit)
    if (roomy) return roomy
    if (usable.length < maxSessions) return open()
    return usable.reduce((least, entry) => (entry.active < least.active ? entry : least))
  }
  return {
    request: (headers) => {
      const entry = acquire()
      const stream = entry.session.request(headers, { waitForTrailers: true })
      entry.active++
      stream.once('close', () => {
        entry.active--
      })
      return stream
    },
    close: async () => {
      const closing = [...entries].map(({ session }) => {
        if (session.destroyed) return Promise.resolve()
        const closed = new Promise<void>((resolve) => session.once('close', () => resolve()))
        session.close()
        return closed
      })
      entries.clear()
      await Promise.all(closing)
    },
  }
}
